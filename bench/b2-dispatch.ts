import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../tests/support/git-repo'
import { api, type ServerProcess, spawnServer } from '../tests/support/server-process'
import { readSse } from '../tests/support/sse'
import { tempDir } from '../tests/support/temp'
import { percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'

/**
 * Milliseconds from POST start to the first stdout event arriving on the task's SSE stream. The
 * task is then left to finish before anything else is timed: its wrap-up (a diff capture in a
 * worktree) would otherwise overlap the next dispatch or the raw baseline and bill one to the other.
 */
async function dispatchOnce(server: ServerProcess, workspace: string, inPlace: boolean): Promise<number> {
  const created = await api(server, 'POST', '/tasks', {
    title: 'echo',
    prompt: '',
    runner: 'shell',
    command: 'echo hi',
    workspace,
    // The plain folder is no repository: the task runs in it directly, which its policy must allow.
    policy: { allow_in_place: inPlace },
  })
  const id = created.body.id
  const abort = new AbortController()
  const stream = await fetch(`${server.url}/tasks/${id}/stream`, {
    headers: server.auth,
    signal: abort.signal,
  })
  const started = performance.now()
  const start = await api(server, 'POST', `/tasks/${id}/start`)
  if (start.status !== 200) throw new Error(`start refused: ${JSON.stringify(start.body)}`)
  for await (const frame of readSse(stream)) {
    if (frame.event === 'message' && frame.data.kind === 'stdout') break
  }
  const elapsed = performance.now() - started
  abort.abort()
  await settled(server, id)
  return elapsed
}

async function settled(server: ServerProcess, id: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const { body } = await api(server, 'GET', `/tasks/${id}?events=none`)
    if (body.status !== 'queued' && body.status !== 'running') return
    await Bun.sleep(5)
  }
  throw new Error(`task ${id} did not finish within 30 s`)
}

async function rawSpawn(): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(['/bin/sh', '-lc', 'echo hi'], { stdout: 'pipe' })
  const reader = child.stdout.getReader()
  await reader.read()
  const elapsed = performance.now() - started
  await child.exited
  return elapsed
}

function rawWorktree(repo: string, i: number): number {
  const started = performance.now()
  gitSync(
    repo,
    'worktree',
    'add',
    '-q',
    '-b',
    `raw-${i}`,
    join(repo, '..', 'raw-worktrees', String(i)),
    'HEAD',
  )
  return performance.now() - started
}

const stats = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p99: round(percentile(values, 99)),
})

export async function benchDispatch(runs = 200) {
  const dir = tempDir('openruntime-bench-')
  const plain = join(dir.path, 'plain')
  mkdirSync(plain)
  const repo = makeRepo(join(dir.path, 'repo'))
  const server = await spawnServer({
    OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3'),
    OPENRUNTIME_MAX_PARALLEL: '4',
    ...serverProfiling(),
  })
  try {
    const inPlace: number[] = []
    const withWorktree: number[] = []
    const spawn: number[] = []
    const worktree: number[] = []
    for (let i = 0; i < runs; i++) {
      inPlace.push(await dispatchOnce(server, plain, true))
      spawn.push(await rawSpawn())
    }
    for (let i = 0; i < Math.min(runs, 50); i++) {
      withWorktree.push(await dispatchOnce(server, repo, false))
      worktree.push(rawWorktree(repo, i))
    }
    return {
      runs,
      dispatch_ms: stats(inPlace),
      raw_spawn_ms: stats(spawn),
      dispatch_with_worktree_ms: stats(withWorktree),
      raw_git_worktree_add_ms: stats(worktree),
    }
  } finally {
    await server.kill('SIGTERM')
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchDispatch(Number(process.argv[2] ?? 200)), null, 2))
  process.exit(0)
}
