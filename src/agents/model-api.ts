import type { AgentRunner, Launch } from './types'

/**
 * Where each CLI sends its model requests, read from what the server itself launches (the argv and
 * environment it built from its own settings), never from files a run could have written (Codex's
 * config.toml lives in CODEX_HOME, which every run writes).
 */

const DEFAULT_URLS: Record<AgentRunner, string> = {
  'claude-code': 'https://api.anthropic.com',
  codex: 'https://api.openai.com',
}

/** The model API base URLs a launch uses: those it is configured with, else the CLI's default. */
export function modelApiUrls(runner: AgentRunner, launch: Pick<Launch, 'argv' | 'env'>): string[] {
  const configured = runner === 'claude-code' ? present([launch.env.ANTHROPIC_BASE_URL]) : codexUrls(launch)
  return configured.length > 0 ? configured : [DEFAULT_URLS[runner]]
}

function codexUrls(launch: Pick<Launch, 'argv' | 'env'>): string[] {
  return present([launch.env.OPENAI_BASE_URL, ...configOverrides(launch.argv).flatMap(baseUrlsOf)])
}

/** The values of `-c key=value`, `--config key=value`, `--config=key=value` and `-ckey=value`. */
function configOverrides(argv: string[]): string[] {
  const overrides: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '-c' || arg === '--config') {
      const value = argv[i + 1]
      if (value !== undefined) overrides.push(value)
      i++
    } else if (arg.startsWith('--config=')) overrides.push(arg.slice('--config='.length))
    else if (arg.startsWith('-c') && arg.length > 2) overrides.push(arg.slice(2))
  }
  return overrides
}

const PROVIDER_URL_KEY = /^model_providers\.[^.]+\.base_url$/
const PROVIDER_KEY = /^model_providers\.[^.]+$/

/** `openai_base_url`, `model_providers.<id>.base_url`, or a provider given as an inline table. */
function baseUrlsOf(override: string): string[] {
  const equals = override.indexOf('=')
  if (equals < 0) return []
  const key = override.slice(0, equals).trim()
  const value = tomlValue(override.slice(equals + 1).trim())
  if (key === 'openai_base_url' || PROVIDER_URL_KEY.test(key)) return typeof value === 'string' ? [value] : []
  if (PROVIDER_KEY.test(key)) return providerUrls([value])
  if (key === 'model_providers' && isObject(value)) return providerUrls(Object.values(value))
  return []
}

function providerUrls(providers: unknown[]): string[] {
  return providers.flatMap((provider) =>
    isObject(provider) && typeof provider.base_url === 'string' ? [provider.base_url] : [],
  )
}

/** Codex parses an override's value as TOML and takes it as a plain string when that fails. */
function tomlValue(raw: string): unknown {
  try {
    return (Bun.TOML.parse(`value = ${raw}`) as { value: unknown }).value
  } catch {
    return raw
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const present = (values: Array<string | undefined>): string[] =>
  values.filter((value): value is string => value !== undefined && value.trim() !== '')
