import { createApp } from './app'
import { composeAdapters } from './compose'
import { type Config, ConfigError, loadConfig } from './config'
import { AppError } from './errors'
import { listenBodyLimit } from './routes/body-limit'
import { startRuntime } from './runtime'
import { accessTokenPath } from './storage/access-token'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

async function main(): Promise<void> {
  const config = loadConfig()
  if (!LOOPBACK.has(config.host) && config.auth === 'none') {
    throw new ConfigError(
      `refusing to listen on ${config.host} with OPENRUNTIME_AUTH=none: anyone who can reach it could run commands on this machine (it is allowed on loopback only)`,
    )
  }
  const runtime = await startRuntime(config, composeAdapters(config))
  const app = createApp(runtime, { readThread: true })
  // reusePort would let a second server bind the same port silently and split the traffic.
  app.listen({
    hostname: config.host,
    port: config.port,
    reusePort: false,
    maxRequestBodySize: listenBodyLimit(config.gitMaxPushBytes),
  })
  const { recovery } = runtime
  if (recovery.stopped.length || recovery.killedGroups.length || recovery.requeued.length) {
    console.log(
      `recovered after restart: ${recovery.stopped.length} run(s) marked stopped, ${recovery.killedGroups.length} orphaned process group(s) killed, ${recovery.requeued.length} queued run(s) re-queued`,
    )
  }
  for (const settled of recovery.repository) {
    console.log(
      `recovered after restart: the interrupted ${settled.kind} of task ${settled.task_id}: ${settled.outcome}`,
    )
  }
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${app.server?.port}`
  console.log(`openRuntime listening on ${base} (database ${config.dbPath})`)
  console.log(signInNotice(runtime.config, base))

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping runs and shutting down`)
    await app.stop(true)
    await runtime.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void shutdown('SIGINT'))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
}

/** The link that signs a browser in (the token travels once, then lives in a cookie), or why none is needed. */
function signInNotice(config: Config, base: string): string {
  if (!config.token) return 'Access: no credential required (OPENRUNTIME_AUTH=none, loopback only)'
  const kept = config.serverEnv.OPENRUNTIME_TOKEN ? 'OPENRUNTIME_TOKEN' : accessTokenPath(config.dataDir)
  return `Open ${base}/login?token=${encodeURIComponent(config.token)} to sign in (API clients send "Authorization: Bearer <token>"; the token: ${kept})`
}

main().catch((error) => {
  if (error instanceof AppError || error instanceof ConfigError) {
    console.error(`openRuntime cannot start: ${error.message}`)
  } else {
    console.error('openRuntime cannot start:', error)
  }
  process.exit(1)
})
