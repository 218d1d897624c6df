import type { Config } from '../config'
import type { EffectivePolicy } from '../domain'
import { isSecretName, scrubEnvironment } from '../policy'

/**
 * The proxy and certificate settings an agent CLI needs to reach its model API: part of what each
 * agent runner may see (its definition lists its own variables besides).
 */
export const NETWORK_SETTINGS = [
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

const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * The environment a runner process starts with: the server's, scrubbed of everything but the base,
 * the variables the runner may see (`allowed`: names or prefixes, from its definition) and, when
 * the policy allows secrets, the variables named like secrets. The server's own settings
 * (OPENRUNTIME_*) never pass.
 */
export function runnerEnvironment(
  config: Pick<Config, 'serverEnv'>,
  taskId: string,
  allowed: readonly string[],
  policy: Pick<EffectivePolicy, 'allow_secrets'>,
): Record<string, string> {
  const { serverEnv } = config
  const secrets = policy.allow_secrets
    ? Object.keys(serverEnv).filter((name) => isSecretName(name) && !name.startsWith('OPENRUNTIME_'))
    : []
  return scrubEnvironment(serverEnv, {
    allow: [...allowed, ...secrets],
    set: { PATH: serverEnv.PATH || FALLBACK_PATH, OPENRUNTIME_TASK_ID: taskId },
  })
}
