import type { Config } from '../config'
import type { EffectivePolicy, RunnerKind } from '../domain'
import { isSecretName, scrubEnvironment } from '../policy'

/**
 * What each runner may inherit from the server's environment besides the base every program needs
 * (see scrubEnvironment): an agent CLI its own configuration and credentials, and the proxy and
 * certificate settings it needs to reach its model API.
 */
const NETWORK_SETTINGS = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
]

const RUNNER_VARIABLES: Record<RunnerKind, readonly string[]> = {
  shell: [],
  'claude-code': ['ANTHROPIC_', 'CLAUDE_', ...NETWORK_SETTINGS],
  codex: ['OPENAI_', 'CODEX_', ...NETWORK_SETTINGS],
}

const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * The environment a runner process starts with: the server's, scrubbed of everything but the base,
 * the runner's own variables and, when the policy allows secrets, the variables named like secrets.
 * The server's own settings (OPENRUNTIME_*) never pass.
 */
export function runnerEnvironment(
  config: Pick<Config, 'serverEnv'>,
  taskId: string,
  runner: RunnerKind,
  policy: Pick<EffectivePolicy, 'allow_secrets'>,
): Record<string, string> {
  const { serverEnv } = config
  const secrets = policy.allow_secrets
    ? Object.keys(serverEnv).filter((name) => isSecretName(name) && !name.startsWith('OPENRUNTIME_'))
    : []
  return scrubEnvironment(serverEnv, {
    allow: [...RUNNER_VARIABLES[runner], ...secrets],
    set: { PATH: serverEnv.PATH || FALLBACK_PATH, OPENRUNTIME_TASK_ID: taskId },
  })
}
