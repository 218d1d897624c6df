import { resolve } from 'node:path'
import { type BrokerConnection, brokerConnection } from '../queue/remote-connection'

/** How a runner host is configured: by its environment alone. */
export interface RunnerHostSettings {
  controlUrl: string
  token: string
  broker: BrokerConnection
  slots: number
  labels: string[]
  /** Its own directory: repository caches, worktrees, the event spool. */
  dir: string
  /** How often a running attempt's worktree is looked at for a live snapshot. */
  snapshotEveryMs: number
}

export class RunnerHostSettingsError extends Error {}

const required = (env: Record<string, string | undefined>, name: string): string => {
  const value = env[name]?.trim()
  if (!value) throw new RunnerHostSettingsError(`${name} must be set`)
  return value
}

export function runnerHostSettings(
  env: Record<string, string | undefined> = process.env,
): RunnerHostSettings {
  const controlUrl = required(env, 'OPENRUNTIME_CONTROL_URL').replace(/\/+$/, '')
  if (!/^https?:\/\//.test(controlUrl))
    throw new RunnerHostSettingsError('OPENRUNTIME_CONTROL_URL must be an http:// or https:// URL')
  const token = required(env, 'OPENRUNTIME_RUNNER_TOKEN')
  const broker = brokerConnection(env)
  if (broker === null) throw new RunnerHostSettingsError('OPENRUNTIME_QUEUE_URL must be set')
  const slots = Number(env.OPENRUNTIME_RUNNER_SLOTS ?? '2')
  if (!Number.isInteger(slots) || slots < 1 || slots > 1024)
    throw new RunnerHostSettingsError(`OPENRUNTIME_RUNNER_SLOTS must be an integer from 1 to 1024`)
  const labels = (env.OPENRUNTIME_RUNNER_LABELS ?? '')
    .split(',')
    .map((label) => label.trim())
    .filter(Boolean)
  const snapshotEveryMs = Number(env.OPENRUNTIME_RUNNER_SNAPSHOT_MS ?? '2000')
  if (!Number.isInteger(snapshotEveryMs) || snapshotEveryMs < 100 || snapshotEveryMs > 3_600_000)
    throw new RunnerHostSettingsError('OPENRUNTIME_RUNNER_SNAPSHOT_MS must be an integer from 100 to 3600000')
  const dir = resolve(required(env, 'OPENRUNTIME_RUNNER_DIR'))
  return { controlUrl, token, broker, slots, labels, dir, snapshotEveryMs }
}
