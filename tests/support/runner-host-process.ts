import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { collectOutput } from './processes'

const ROOT = join(import.meta.dir, '..', '..')

/** A real runner host process (`npm run runner`'s entry) with its own HOME and directory. */
export interface RunnerHostProcess {
  name: string
  /** Its HOME, of its own. */
  home: string
  /** Its OPENRUNTIME_RUNNER_DIR: repository caches, worktrees, spool. */
  dir: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  output(): string
  kill(signal?: NodeJS.Signals): Promise<void>
}

export interface RunnerHostOptions {
  name: string
  /** Its home and OPENRUNTIME_RUNNER_DIR live under here. */
  root: string
  controlUrl: string
  token: string
  queueUrl: string
  slots?: number
  labels?: string[]
  env?: Record<string, string>
  /** Runs it under this command (`ip netns exec <ns>`, which execs it: the pid stays its own). */
  prefix?: string[]
}

export function spawnRunnerHost(options: RunnerHostOptions): RunnerHostProcess {
  const home = join(options.root, options.name, 'home')
  const dir = join(options.root, options.name, 'runner')
  mkdirSync(home, { recursive: true })
  const proc = Bun.spawn(
    [...(options.prefix ?? []), process.execPath, join(ROOT, 'src', 'runner-host', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        OPENRUNTIME_CONTROL_URL: options.controlUrl,
        OPENRUNTIME_RUNNER_TOKEN: options.token,
        OPENRUNTIME_QUEUE_URL: options.queueUrl,
        OPENRUNTIME_RUNNER_SLOTS: String(options.slots ?? 2),
        OPENRUNTIME_RUNNER_LABELS: (options.labels ?? []).join(','),
        OPENRUNTIME_RUNNER_DIR: dir,
        ...options.env,
      },
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const output = collectOutput(proc)
  return {
    name: options.name,
    home,
    dir,
    proc,
    output,
    async kill(signal = 'SIGKILL') {
      proc.kill(signal)
      await proc.exited
    },
  }
}
