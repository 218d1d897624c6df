import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync } from '../tests/support/git-repo'
import { api, spawnServer } from '../tests/support/server-process'
import { tempDir, waitFor } from '../tests/support/temp'
import { round } from './lib/measure'

const FILES = 20_000
const CHANGED = 2_000
const STEP = FILES / CHANGED

/** A repository of FILES small files in 100 folders, committed. */
function bigRepo(dir: string): string {
  mkdirSync(dir, { recursive: true })
  gitSync(dir, 'init', '-q', '-b', 'main')
  for (let i = 0; i < FILES; i++) {
    const folder = join(dir, `d${i % 100}`)
    if (i < 100) mkdirSync(folder)
    writeFileSync(join(folder, `f${i}.txt`), `file ${i}\nline two\nline three\n`)
  }
  gitSync(dir, 'add', '-A')
  gitSync(dir, 'commit', '-q', '-m', 'many files')
  return dir
}

// Edits every STEP-th file: CHANGED files of FILES.
const CHANGE_COMMAND = `for i in $(seq 0 ${STEP} ${FILES - 1}); do echo changed >> d$((i % 100))/f$i.txt; done`

const timed = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
  const started = performance.now()
  const result = await work()
  return [result, performance.now() - started]
}

export async function benchReview() {
  const dir = tempDir('openruntime-bench-')
  try {
    const repo = bigRepo(join(dir.path, 'repo'))
    // Baseline: the same change made in a plain clone, diffed and applied by git itself.
    const raw = join(dir.path, 'raw')
    gitSync(dir.path, 'clone', '-q', repo, raw)
    Bun.spawnSync(['/bin/sh', '-c', CHANGE_COMMAND], { cwd: raw })
    const [patch, rawDiffMs] = await timed(() => gitSync(raw, 'diff', 'HEAD'))
    const target = join(dir.path, 'target')
    gitSync(dir.path, 'clone', '-q', repo, target)
    writeFileSync(join(dir.path, 'change.patch'), patch)
    const [, rawApplyMs] = await timed(() =>
      gitSync(target, 'apply', '--3way', join(dir.path, 'change.patch')),
    )

    const server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3') })
    try {
      const created = await api(server, 'POST', '/tasks', {
        title: 'review',
        prompt: '',
        runner: 'shell',
        command: CHANGE_COMMAND,
        workspace: repo,
      })
      const id = created.body.id
      await api(server, 'POST', `/tasks/${id}/start`)
      await waitFor(
        'review',
        async () => (await api(server, 'GET', `/tasks/${id}?events=none`)).body.status === 'ready-for-review',
        300_000,
      )
      const [diff, diffMs] = await timed(() => api(server, 'GET', `/tasks/${id}/diff`))
      const [merge, mergeMs] = await timed(() => api(server, 'POST', `/tasks/${id}/worktree/merge`, {}))
      return {
        files: FILES,
        changed_files: diff.body.files.length,
        diff_ms: round(diffMs),
        raw_git_diff_ms: round(rawDiffMs),
        diff_ratio: round(diffMs / rawDiffMs, 2),
        merge_ms: round(mergeMs),
        merge_status: merge.status,
        raw_git_apply_ms: round(rawApplyMs),
        merge_ratio: round(mergeMs / rawApplyMs, 2),
      }
    } finally {
      await server.kill('SIGTERM')
    }
  } finally {
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchReview(), null, 2))
  process.exit(0)
}
