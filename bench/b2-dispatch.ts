import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../tests/support/git-repo'
import { type ServerProcess, spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { timeToFirstStdout } from './lib/dispatch'
import { percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'
import { sandboxedCommand } from './lib/sandboxed-command'

/** POST start → first stdout on the SSE stream of an `echo hi` task. */
const dispatchOnce = (server: ServerProcess, workspace: string, inPlace: boolean) =>
  timeToFirstStdout(server, {
    title: 'echo',
    command: 'echo hi',
    workspace,
    // The plain folder is no repository: the task runs in it directly, which its policy must allow.
    policy: { allow_in_place: inPlace },
  })

const ECHO = ['/bin/sh', '-lc', 'echo hi']

/** Milliseconds from spawning `argv` to its first stdout bytes. */
async function timedSpawn(argv: string[]): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(argv, { stdout: 'pipe' })
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
  const dataDir = join(dir.path, 'data')
  const server = await spawnServer({
    OPENRUNTIME_DB: join(dataDir, 'db.sqlite3'),
    OPENRUNTIME_MAX_PARALLEL: '4',
    ...serverProfiling(),
  })
  try {
    const inPlace: number[] = []
    const withWorktree: number[] = []
    const spawn: number[] = []
    const sandboxedSpawn: number[] = []
    const worktree: number[] = []
    // The same command under the run's sandbox: what containment alone costs a spawn.
    const sandboxed = sandboxedCommand(ECHO, plain, dataDir)
    for (let i = 0; i < runs; i++) {
      inPlace.push(await dispatchOnce(server, plain, true))
      spawn.push(await timedSpawn(ECHO))
      sandboxedSpawn.push(await timedSpawn(sandboxed))
    }
    for (let i = 0; i < Math.min(runs, 50); i++) {
      withWorktree.push(await dispatchOnce(server, repo, false))
      worktree.push(rawWorktree(repo, i))
    }
    // What the worktree adds to a dispatch, beside what `git worktree add` alone costs.
    const worktreeStep = percentile(withWorktree, 50) - percentile(inPlace, 50)
    return {
      runs,
      dispatch_ms: stats(inPlace),
      raw_spawn_ms: stats(spawn),
      dispatch_over_raw_spawn_ms: round(percentile(inPlace, 50) - percentile(spawn, 50)),
      sandboxed_spawn_ms: stats(sandboxedSpawn),
      // openRuntime's own part: the dispatch less the sandboxed spawn every run starts with.
      dispatch_over_sandboxed_spawn_ms: round(percentile(inPlace, 50) - percentile(sandboxedSpawn, 50)),
      dispatch_with_worktree_ms: stats(withWorktree),
      raw_git_worktree_add_ms: stats(worktree),
      worktree_step_ms: round(worktreeStep),
      worktree_step_ratio: round(worktreeStep / percentile(worktree, 50), 2),
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
