import { RunnerDirInUse } from './dir-lock'
import { RunnerHost } from './runner-host'
import { RunnerHostSettingsError, runnerHostSettings } from './settings'

/** `npm run runner`: a runner host, configured by its environment (see settings.ts and the README). */
let settings: ReturnType<typeof runnerHostSettings>
try {
  settings = runnerHostSettings()
} catch (error) {
  if (!(error instanceof RunnerHostSettingsError)) throw error
  console.error(`openRuntime runner host: ${error.message}`)
  process.exit(2)
}
const host = await RunnerHost.start(settings).catch((error) => {
  if (!(error instanceof RunnerDirInUse)) throw error
  console.error(`openRuntime runner host: ${error.message}`)
  process.exit(2)
})
let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  await host.close()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
process.on('SIGINT', () => void shutdown())
