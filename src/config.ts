import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import type { PriceTable } from './agents'
import { type Endpoint, parseEndpoint } from './policy/endpoints'

/** How one runner's CLI is launched: where it is, and what to add to its argv and environment. */
export interface RunnerSettings {
  /** An explicit binary; without it the CLI is looked up on the server's PATH. */
  bin: string | undefined
  /** Appended to the adapter's own flags. */
  args: string[]
  /** Set over the scrubbed environment (e.g. a model server's URL and key). */
  env: Record<string, string>
}

/** Every setting the server reads from its environment, resolved once at start-up. */
export interface Config {
  host: string
  port: number
  dbPath: string
  queuePath: string
  lockPath: string
  dataDir: string
  /** The user's home: never a workspace, its credential folders hidden from runs. */
  home: string
  maxParallel: number
  /** Grace period between SIGTERM and SIGKILL when a run is stopped. */
  stopGraceMs: number
  /** How long a partial output line (no newline yet) waits before it is flushed as an event. */
  partialLineIdleMs: number
  /** Upper bound on how long persisted output may wait in memory before its batch is written. */
  eventFlushMs: number
  /** The largest pack a runner host may push over the git endpoint (OPENRUNTIME_GIT_MAX_PUSH_BYTES). */
  gitMaxPushBytes: number
  /**
   * `token`: every request needs the access token (OPENRUNTIME_TOKEN, else the one kept in the data
   * directory). `none` (OPENRUNTIME_AUTH=none, loopback only): no credential, for clients that cannot send one.
   */
  auth: 'token' | 'none'
  /** OPENRUNTIME_TOKEN; once the runtime has started, the token in force (none with `auth: none`). */
  token: string | undefined
  corsOrigins: string[]
  /**
   * Per runner settings name (a runner definition's `settingsName`, e.g. CLAUDE):
   * OPENRUNTIME_<NAME>_BIN, _ARGS and _ENV, read for every name the environment uses.
   */
  runnerSettings: Record<string, RunnerSettings>
  /** OPENRUNTIME_AGENT_HOSTS: reachable from every agent run besides its model API. */
  agentHosts: Endpoint[]
  /** Prices to estimate Codex's cost with, over the built-in table. */
  codexPrices: PriceTable | undefined
  /** The bubblewrap binary to use instead of the one on PATH (a missing one disables the sandbox). */
  bwrapPath: string | undefined
  /** How run limits are enforced: cgroups where the server can make them, else rlimits (`auto`); or rlimits only. */
  limitsMode: LimitsMode
  /** The server's environment: runners start from a scrubbed copy, and its secret values are redacted. */
  serverEnv: Env
  /** Where to look for git repositories to offer as workspaces (default: the home directory). */
  discoveryRoots: string[] | undefined
  /** How long a runner host's registration or heartbeat holds before the host counts as lost. */
  runnerLeaseMs: number
  /**
   * Where tasks without placement labels run: `local` (this machine, the default) or `remote`
   * (runner hosts only). A task with labels always runs on a runner host.
   */
  runPlacement: RunPlacement
}

export const RUN_PLACEMENTS = ['local', 'remote'] as const
export type RunPlacement = (typeof RUN_PLACEMENTS)[number]

function placementSetting(env: Env): RunPlacement {
  const raw = env.OPENRUNTIME_RUN_PLACEMENT || 'local'
  if ((RUN_PLACEMENTS as readonly string[]).includes(raw)) return raw as RunPlacement
  throw new ConfigError(`OPENRUNTIME_RUN_PLACEMENT must be one of ${RUN_PLACEMENTS.join(', ')}, got "${raw}"`)
}

export const LIMITS_MODES = ['auto', 'rlimit'] as const
export type LimitsMode = (typeof LIMITS_MODES)[number]

export class ConfigError extends Error {
  readonly code = 'config_invalid'
}

export type Env = Record<string, string | undefined>

function integerSetting(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer of at least ${min}, got "${raw}"`)
  }
  return value
}

function jsonSetting<T>(
  env: Env,
  name: string,
  valid: (value: unknown) => value is T,
  shape: string,
): T | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw new ConfigError(`${name} must be JSON (${shape}), got "${raw}"`)
  }
  if (!valid(value)) throw new ConfigError(`${name} must be ${shape}, got "${raw}"`)
  return value
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isStringRecord = (value: unknown): value is Record<string, string> =>
  isObject(value) && Object.values(value).every((item) => typeof item === 'string')

const isPriceTable = (value: unknown): value is PriceTable =>
  isObject(value) &&
  Object.values(value).every(
    (price) =>
      isObject(price) && ['input', 'cachedInput', 'output'].every((key) => typeof price[key] === 'number'),
  )

function authSetting(env: Env): Config['auth'] {
  const value = env.OPENRUNTIME_AUTH || 'token'
  if (value !== 'token' && value !== 'none')
    throw new ConfigError(`OPENRUNTIME_AUTH must be "token" or "none", got "${value}"`)
  if (value === 'none' && env.OPENRUNTIME_TOKEN)
    throw new ConfigError(
      'OPENRUNTIME_AUTH=none and OPENRUNTIME_TOKEN contradict each other: set one of them',
    )
  return value
}

/** A comma-separated list of `host`, `host:port` or URLs (a bare host means HTTPS, port 443). */
function hostsSetting(env: Env, name: string): Endpoint[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const endpoint = parseEndpoint(entry)
      if (endpoint === null)
        throw new ConfigError(
          `${name} takes host, host:port or URL entries separated by commas, got "${entry}"`,
        )
      return endpoint
    })
}

const RUNNER_SETTING = /^OPENRUNTIME_([A-Z][A-Z0-9]*)_(BIN|ARGS|ENV)$/

/** OPENRUNTIME_<NAME>_BIN, _ARGS (a JSON array of strings) and _ENV (a JSON object of strings), by NAME. */
function runnerSettings(env: Env): Record<string, RunnerSettings> {
  const names = new Set(Object.keys(env).flatMap((key) => RUNNER_SETTING.exec(key)?.[1] ?? []))
  return Object.fromEntries(
    [...names].map((name) => {
      const prefix = `OPENRUNTIME_${name}`
      const settings: RunnerSettings = {
        bin: env[`${prefix}_BIN`] || undefined,
        args: jsonSetting(env, `${prefix}_ARGS`, isStringArray, 'an array of strings') ?? [],
        env: jsonSetting(env, `${prefix}_ENV`, isStringRecord, 'an object of strings') ?? {},
      }
      return [name, settings]
    }),
  )
}

const NO_SETTINGS: RunnerSettings = { bin: undefined, args: [], env: {} }

/** The settings of a runner by its settings name (none given: its defaults). */
export const settingsOf = (config: Pick<Config, 'runnerSettings'>, name: string | null): RunnerSettings =>
  (name === null ? undefined : config.runnerSettings[name]) ?? NO_SETTINGS

/**
 * The database's default place: the user's data folder (XDG), outside every checkout, so no
 * workspace ever contains it (runs cannot see it wherever it is; see the sandbox).
 */
function defaultDbPath(env: Env, home: string): string {
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'openruntime', 'openruntime.sqlite3')
}

function limitsSetting(env: Env): LimitsMode {
  const raw = env.OPENRUNTIME_LIMITS || 'auto'
  if ((LIMITS_MODES as readonly string[]).includes(raw)) return raw as LimitsMode
  throw new ConfigError(`OPENRUNTIME_LIMITS must be one of ${LIMITS_MODES.join(', ')}, got "${raw}"`)
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const home = env.HOME || homedir()
  const dbPath = resolve(cwd, env.OPENRUNTIME_DB || env.MANAGED_AGENTS_DB || defaultDbPath(env, home))
  const base = dbPath.replace(/\.sqlite3?$|\.db$/, '')
  // PORT=0 asks the OS for a free port (the server prints the one it got).
  const port = integerSetting(env, 'PORT', 8080, 0)
  if (port > 65535) throw new ConfigError(`PORT must be at most 65535, got ${port}`)
  return {
    host: env.HOST || '127.0.0.1',
    port,
    dbPath,
    queuePath: `${base}.queue.sqlite3`,
    lockPath: `${base}.lock`,
    dataDir: dirname(dbPath),
    home,
    maxParallel: integerSetting(env, 'OPENRUNTIME_MAX_PARALLEL', 4),
    stopGraceMs: integerSetting(env, 'OPENRUNTIME_STOP_GRACE_MS', 5000),
    partialLineIdleMs: integerSetting(env, 'OPENRUNTIME_PARTIAL_LINE_MS', 400),
    eventFlushMs: integerSetting(env, 'OPENRUNTIME_EVENT_FLUSH_MS', 25),
    gitMaxPushBytes: integerSetting(env, 'OPENRUNTIME_GIT_MAX_PUSH_BYTES', 512 * 1024 * 1024),
    auth: authSetting(env),
    token: env.OPENRUNTIME_TOKEN || undefined,
    corsOrigins: (env.OPENRUNTIME_CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    runnerSettings: runnerSettings(env),
    agentHosts: hostsSetting(env, 'OPENRUNTIME_AGENT_HOSTS'),
    codexPrices: jsonSetting(
      env,
      'OPENRUNTIME_CODEX_PRICES',
      isPriceTable,
      'an object of {input, cachedInput, output} USD per million tokens by model',
    ),
    bwrapPath: env.OPENRUNTIME_BWRAP || undefined,
    limitsMode: limitsSetting(env),
    serverEnv: { ...env },
    discoveryRoots: env.OPENRUNTIME_DISCOVERY_ROOTS
      ? env.OPENRUNTIME_DISCOVERY_ROOTS.split(':').filter(Boolean)
      : undefined,
    runnerLeaseMs: integerSetting(env, 'OPENRUNTIME_RUNNER_LEASE_MS', 30_000, 50),
    runPlacement: placementSetting(env),
  }
}

export function runDir(config: Config): string {
  return join(config.dataDir, 'runs')
}
