import { mergeEnv } from '../env'
import type { Launch, LaunchRequest } from '../types'

/**
 * `codex app-server`: JSON-RPC over stdio, the only Codex interface that asks for approvals
 * (`codex exec` forces the policy "never"). Thread settings (cwd, sandbox, approvals, model)
 * travel in `thread/start`, so the argv only carries process-wide config.
 */

/** Without these Codex syncs its plugin marketplace and sends analytics to outside hosts. */
const QUIET_ARGS = [
  '--disable',
  'plugins',
  '-c',
  'analytics.enabled=false',
  '-c',
  'check_for_update_on_startup=false',
]

export function buildCodexLaunch(request: LaunchRequest): Launch {
  return {
    argv: [request.bin, 'app-server', ...QUIET_ARGS, ...(request.extraArgs ?? [])],
    env: mergeEnv(request.baseEnv, { NO_COLOR: '1' }, request.extraEnv),
    cwd: request.cwd,
    sessionId: request.resumeSessionId ?? null,
  }
}
