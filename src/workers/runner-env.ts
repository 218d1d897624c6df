import type { TaskRecord } from '../domain'

// What a runner needs to behave like a login shell on this machine, and nothing of the server's own
// configuration or secrets (API keys, tokens, OPENRUNTIME_* settings).
const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TZ', 'TMPDIR']
const PASSED_PREFIXES = ['LC_']

export function runnerEnvironment(
  task: TaskRecord,
  serverEnv: Record<string, string | undefined> = process.env,
) {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(serverEnv)) {
    if (value === undefined) continue
    if (PASSED_THROUGH.includes(name) || PASSED_PREFIXES.some((prefix) => name.startsWith(prefix)))
      env[name] = value
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin'
  env.OPENRUNTIME_TASK_ID = task.id
  return env
}
