/**
 * The environment a task's process gets. The original handed every child the server's whole
 * environment, API keys included; here a child starts from a small base that programs need to
 * behave (locale, terminal, home, path), plus what the caller allows by name and sets explicitly.
 */
export type Environment = Record<string, string | undefined>

export interface ScrubOptions {
  /** Exact names, or prefixes written with a trailing `_` or `*` (`ANTHROPIC_`, `OPENAI_*`). */
  allow?: readonly string[]
  /** Set last, over anything inherited. */
  set?: Readonly<Record<string, string>>
}

const BASE_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TZ', 'TMPDIR'])
const BASE_PREFIXES = ['LC_']

export function scrubEnvironment(serverEnv: Environment, options: ScrubOptions = {}): Record<string, string> {
  const exact = new Set(BASE_NAMES)
  const prefixes = [...BASE_PREFIXES]
  for (const entry of options.allow ?? []) {
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1))
    else if (entry.endsWith('_')) prefixes.push(entry)
    else exact.add(entry)
  }
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(serverEnv)) {
    if (value === undefined) continue
    if (exact.has(name) || prefixes.some((prefix) => prefix !== '' && name.startsWith(prefix)))
      env[name] = value
  }
  return Object.assign(env, options.set ?? {})
}

const SECRET_WORD =
  /(?:^|_)(?:KEY|KEYS|TOKEN|TOKENS|SECRET|SECRETS|CREDENTIALS?|PASSPHRASE|AUTH|COOKIE|PAT)(?:_|$)/
const SECRET_PART = /PASSWORD|PASSWD|SECRET|TOKEN|APIKEY|API_KEY|PRIVATE_KEY|ACCESS_KEY/
/** Names that match the patterns but hold no secret. */
const NOT_SECRET = new Set(['PWD', 'OLDPWD', 'SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'TOKENIZERS_PARALLELISM'])

/** Whether an environment variable's name says it holds a secret (`*_KEY`, `*_TOKEN`, `*PASSWORD*`…). */
export function isSecretName(name: string): boolean {
  const upper = name.toUpperCase()
  if (NOT_SECRET.has(upper)) return false
  return SECRET_WORD.test(upper) || SECRET_PART.test(upper)
}

/** Values shorter than this are too common in ordinary output to redact by value. */
export const MIN_SECRET_VALUE_LENGTH = 8

/**
 * The values to feed the redactor: those of variables named in `names` and of every variable
 * whose name looks secret, longest first, without duplicates or values too short to be safe.
 */
export function secretValuesOf(env: Environment, names: readonly string[] = []): string[] {
  const wanted = new Set(names)
  const values = Object.entries(env)
    .filter(([name, value]) => value !== undefined && (wanted.has(name) || isSecretName(name)))
    .map(([, value]) => value as string)
    .filter((value) => value.length >= MIN_SECRET_VALUE_LENGTH)
  return [...new Set(values)].sort((a, b) => b.length - a.length)
}
