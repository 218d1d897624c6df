import { dirname, join, resolve } from 'node:path'

/** Every setting the server reads from its environment, resolved once at start-up. */
export interface Config {
  host: string
  port: number
  dbPath: string
  queuePath: string
  lockPath: string
  dataDir: string
  maxParallel: number
  /** Grace period between SIGTERM and SIGKILL when a run is stopped. */
  stopGraceMs: number
  /** How long a partial output line (no newline yet) waits before it is flushed as an event. */
  partialLineIdleMs: number
  /** Upper bound on how long persisted output may wait in memory before its batch is written. */
  eventFlushMs: number
  token: string | undefined
  corsOrigins: string[]
  claudeBin: string | undefined
  codexBin: string | undefined
  /** Where to look for git repositories to offer as workspaces (default: the home directory). */
  discoveryRoots: string[] | undefined
}

export class ConfigError extends Error {
  readonly code = 'config_invalid'
}

type Env = Record<string, string | undefined>

function integerSetting(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer of at least ${min}, got "${raw}"`)
  }
  return value
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const dbPath = resolve(cwd, env.OPENRUNTIME_DB || env.MANAGED_AGENTS_DB || 'data/openruntime.sqlite3')
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
    maxParallel: integerSetting(env, 'OPENRUNTIME_MAX_PARALLEL', 4),
    stopGraceMs: integerSetting(env, 'OPENRUNTIME_STOP_GRACE_MS', 5000),
    partialLineIdleMs: integerSetting(env, 'OPENRUNTIME_PARTIAL_LINE_MS', 400),
    eventFlushMs: integerSetting(env, 'OPENRUNTIME_EVENT_FLUSH_MS', 25),
    token: env.OPENRUNTIME_TOKEN || undefined,
    corsOrigins: (env.OPENRUNTIME_CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    claudeBin: env.OPENRUNTIME_CLAUDE_BIN || undefined,
    codexBin: env.OPENRUNTIME_CODEX_BIN || undefined,
    discoveryRoots: env.OPENRUNTIME_DISCOVERY_ROOTS
      ? env.OPENRUNTIME_DISCOVERY_ROOTS.split(':').filter(Boolean)
      : undefined,
  }
}

export function runDir(config: Config): string {
  return join(config.dataDir, 'runs')
}
