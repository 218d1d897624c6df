import { createApp } from './app'
import { composeAdapters } from './compose'
import { ConfigError, loadConfig } from './config'
import { AppError } from './errors'
import { MAX_BODY_BYTES } from './routes/body-limit'
import { startRuntime } from './runtime'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1'])

async function main(): Promise<void> {
  const config = loadConfig()
  if (!LOOPBACK.has(config.host) && !config.token) {
    throw new ConfigError(
      `refusing to listen on ${config.host} without OPENRUNTIME_TOKEN: anyone who can reach it could run commands on this machine`,
    )
  }
  const runtime = await startRuntime(config, composeAdapters(config))
  const app = createApp(runtime)
  // reusePort would let a second server bind the same port silently and split the traffic.
  app.listen({
    hostname: config.host,
    port: config.port,
    reusePort: false,
    maxRequestBodySize: MAX_BODY_BYTES,
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
  console.log(
    `openRuntime listening on http://${config.host}:${app.server?.port} (database ${config.dbPath})`,
  )

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

main().catch((error) => {
  if (error instanceof AppError || error instanceof ConfigError) {
    console.error(`openRuntime cannot start: ${error.message}`)
  } else {
    console.error('openRuntime cannot start:', error)
  }
  process.exit(1)
})
