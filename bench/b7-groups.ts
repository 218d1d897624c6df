import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync } from '../tests/support/git-repo'
import { api, type ServerProcess, spawnServer } from '../tests/support/server-process'
import { readSse } from '../tests/support/sse'
import { tempDir, waitFor } from '../tests/support/temp'
import { percentile, round } from './lib/measure'

const VARIANTS = 8
const ROUNDS = 7
const FILES = 2_000
const CHANGED = 500
const READS = 15

/** A repository of FILES small files in 20 folders, committed. */
function repoOf(dir: string): string {
  mkdirSync(dir, { recursive: true })
  gitSync(dir, 'init', '-q', '-b', 'main')
  for (let i = 0; i < FILES; i++) {
    const folder = join(dir, `d${i % 20}`)
    if (i < 20) mkdirSync(folder)
    writeFileSync(join(folder, `f${i}.txt`), `file ${i}\nline two\n`)
  }
  gitSync(dir, 'add', '-A')
  gitSync(dir, 'commit', '-q', '-m', 'files')
  return dir
}

/** Resolves once every task of `ids()` has been reported running on the status stream. */
async function allRunning(stream: Response, ids: () => Set<string>): Promise<void> {
  const running = new Set<string>()
  for await (const frame of readSse(stream)) {
    if (frame.event !== 'status' || frame.data.status !== 'running') continue
    running.add(frame.data.task_id)
    const wanted = ids()
    if (wanted.size === VARIANTS && [...wanted].every((id) => running.has(id))) return
  }
}

const SHELL = { prompt: '', runner: 'shell', command: 'read answer', policy: { max_runtime_minutes: 10 } }

/**
 * From the first request to the moment the status stream has said "running" for all 8: the group
 * (one create with `variants`, one group start) or 8 tasks created and started one by one in
 * parallel, as a client would. Each run blocks reading stdin until it is stopped.
 */
async function timeToRunning(server: ServerProcess, repo: string, grouped: boolean): Promise<number> {
  const abort = new AbortController()
  const ids = new Set<string>()
  // Subscribed before anything starts: no status frame can be missed. Its connection is its own
  // (Bun's client could otherwise hand the cancelled stream's socket to the next request).
  const stream = await fetch(`${server.url}/events/stream`, {
    headers: server.auth,
    signal: abort.signal,
    keepalive: false,
  })
  const streaming = allRunning(stream, () => ids)
  const started = performance.now()
  if (grouped) {
    const group = await api(server, 'POST', '/tasks', {
      title: 'group',
      workspace: repo,
      ...SHELL,
      variants: VARIANTS,
    })
    for (const variant of group.body.variants) ids.add(variant.task_id)
    const created = performance.now()
    await api(server, 'POST', `/task-groups/${group.body.id}/start`)
    if (process.env.B7_TRACE)
      console.error(`create ${round(created - started)} ms, start ${round(performance.now() - created)} ms`)
  } else {
    await Promise.all(
      Array.from({ length: VARIANTS }, async (_, index) => {
        const created = await api(server, 'POST', '/tasks', {
          title: `task ${index}`,
          workspace: repo,
          ...SHELL,
        })
        ids.add(created.body.id)
        await api(server, 'POST', `/tasks/${created.body.id}/start`)
      }),
    )
  }
  await streaming
  const elapsed = performance.now() - started
  if (process.env.B7_TRACE)
    console.error(`${grouped ? 'group' : 'separate'}: all running after ${round(elapsed)} ms`)
  abort.abort()
  await Promise.all([...ids].map((id) => api(server, 'POST', `/tasks/${id}/stop`)))
  await Promise.all(
    [...ids].map((id) =>
      waitFor(
        'stopped',
        async () => (await api(server, 'GET', `/tasks/${id}?events=none`)).body.status === 'stopped',
        60_000,
      ),
    ),
  )
  // Each round starts from a repository without the last round's worktrees.
  await Promise.all([...ids].map((id) => api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`)))
  return elapsed
}

const SPACING = FILES / VARIANTS / 2

/** Variant v edits CHANGED files from v·SPACING on: neighbours share most of theirs. */
const editCommand = (v: number) =>
  `for i in $(seq ${v * SPACING} ${v * SPACING + CHANGED - 1}); do echo changed >> d$((i % 20))/f$i.txt; done`

async function groupRead(server: ServerProcess, repo: string) {
  // Each variant's own edits come as its prompt suffix, the line after the group's command.
  const variants = Array.from({ length: VARIANTS }, (_, index) => ({
    runner: 'shell',
    prompt_suffix: editCommand(index),
  }))
  const group = await api(server, 'POST', '/tasks', {
    title: 'read',
    prompt: '',
    runner: 'shell',
    command: 'true',
    workspace: repo,
    variants,
  })
  if (group.status !== 200) throw new Error(`group refused: ${JSON.stringify(group.body)}`)
  await api(server, 'POST', `/task-groups/${group.body.id}/start`)
  const ids: string[] = group.body.variants.map((variant: any) => variant.task_id)
  await waitFor(
    'every variant in review',
    async () => {
      const tasks = await Promise.all(ids.map((id) => api(server, 'GET', `/tasks/${id}?events=none`)))
      return tasks.every((task) => task.body.status === 'ready-for-review')
    },
    300_000,
  )
  const worktrees: string[] = await Promise.all(
    ids.map(async (id) => (await api(server, 'GET', `/tasks/${id}?events=none`)).body.worktree_path),
  )
  const reads: number[] = []
  const raws: number[] = []
  let view: any
  for (let i = 0; i < READS; i++) {
    const started = performance.now()
    view = (await api(server, 'GET', `/task-groups/${group.body.id}`)).body
    reads.push(performance.now() - started)
    // The baseline: git itself, the diff stat of the same 8 worktrees at once.
    const rawStarted = performance.now()
    await Promise.all(
      worktrees.map(
        (worktree) => Bun.spawn(['git', 'diff', '--stat'], { cwd: worktree, stdout: 'pipe' }).exited,
      ),
    )
    raws.push(performance.now() - rawStarted)
  }
  return {
    files_per_variant: view.variants.map((variant: any) => variant.files.length),
    shared_files: view.shared_files.length,
    read_p50_ms: round(percentile(reads, 50)),
    read_p90_ms: round(percentile(reads, 90)),
    raw_git_diff_stat_8_p50_ms: round(percentile(raws, 50)),
    read_ratio: round(percentile(reads, 50) / percentile(raws, 50), 2),
  }
}

export async function benchGroups() {
  const dir = tempDir('openruntime-bench-')
  try {
    const repo = repoOf(join(dir.path, 'repo'))
    // Slots for all 8 at once: the figure is the dispatch path, not waiting for a slot.
    const server = await spawnServer({
      OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3'),
      OPENRUNTIME_MAX_PARALLEL: String(VARIANTS),
    })
    try {
      // One of each first, uncounted: the server's first requests pay for compiling its paths.
      await timeToRunning(server, repo, true)
      await timeToRunning(server, repo, false)
      const grouped: number[] = []
      const separate: number[] = []
      // Alternating, so neither side always runs on the busier repository or the warmer server.
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 2 === 0) {
          grouped.push(await timeToRunning(server, repo, true))
          separate.push(await timeToRunning(server, repo, false))
        } else {
          separate.push(await timeToRunning(server, repo, false))
          grouped.push(await timeToRunning(server, repo, true))
        }
      }
      const running = {
        group_all_running_p50_ms: round(percentile(grouped, 50)),
        separate_all_running_p50_ms: round(percentile(separate, 50)),
        running_ratio: round(percentile(grouped, 50) / percentile(separate, 50), 2),
      }
      return { variants: VARIANTS, ...running, ...(await groupRead(server, repo)) }
    } catch (error) {
      console.error(server.output().slice(-4000))
      throw error
    } finally {
      await server.kill('SIGTERM')
    }
  } finally {
    dir.cleanup()
  }
}

if (import.meta.main) console.log(JSON.stringify(await benchGroups(), null, 2))
