import type { Launch } from './types'

/**
 * Where a CLI sends its model requests, read from what the server itself launches (the argv and
 * environment it built from its own settings), never from files a run could have written (Codex's
 * config.toml lives in CODEX_HOME, which every run writes). Each adapter names its own sources.
 */

/** The base URLs `configured` names, else the CLI's default. */
export function modelApiUrls(configured: Array<string | undefined>, fallback: string): string[] {
  const urls = present(configured)
  return urls.length > 0 ? urls : [fallback]
}

/** Codex's: OPENAI_BASE_URL, and a provider's base URL in its `-c` overrides. */
export function codexBaseUrls(launch: Pick<Launch, 'argv' | 'env'>): Array<string | undefined> {
  return [launch.env.OPENAI_BASE_URL, ...configOverrides(launch.argv).flatMap(baseUrlsOf)]
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
