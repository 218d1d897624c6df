import { MIN_SECRET_VALUE_LENGTH } from './environment'
import { findPemStart, partialPemStart, pemBlock, REDACTED } from './pem'

/**
 * Output redaction. Secrets are recognised by shape (provider key formats, JWTs, PEM private
 * keys), by the name they are given (`password=…`, `"token": "…"`, `Authorization: Bearer …`,
 * `scheme://user:pass@`), and by value (the environment's secret values). Only the secret is
 * replaced: names, quotes and all whitespace stay, and ordinary long words (git shas, UUIDs,
 * paths) are left alone because no rule guesses from length or character mix.
 */
export interface Redactor {
  redact(text: string): string
  /** Redacts text that contains no PEM block (the stream form cuts those out itself). */
  redactText(text: string): string
  /**
   * The longest prefix of `text` (PEM-free) whose redaction cannot change whatever follows it,
   * so a stream may emit it now; the rest could be the start of a secret. Only cuts above `floor`
   * are looked for (0 when there is none): a stream cuts at its hold bound anyway, so a search
   * below it would be wasted, and bounding it keeps every call linear in what the stream holds.
   */
  safeLength(text: string, floor?: number): number
}

export interface RedactorOptions {
  /** Exact secret values (env values marked secret); values under 8 characters are ignored. */
  extraSecrets?: readonly string[]
  /** Runs the full rules on all text, skipping the cheap pre-scan (to check it never changes a result). */
  fullScan?: boolean
}

/** `password` → `[pP][aA]…`: one combined regex must stay case-sensitive for key formats. */
const ci = (word: string) => word.replace(/[a-z]/gi, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`)

const SECRET_NAME = `(?:[A-Za-z0-9]+[_.-])*(?:${[
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'api[_-]?key',
  'apikey',
  'access[_-]?key',
  'secret[_-]?key',
  'private[_-]?key',
  'auth[_-]?token',
  'credentials?',
]
  .map(ci)
  .join('|')})`
const PAIR_SEPARATOR = `[ \\t]*(?::(?!:)|=(?![=>~]))[ \\t]*`
const AUTH_SCHEME = `(?:${['bearer', 'basic', 'token', 'digest', 'bot'].map(ci).join('|')})`

const TOKENS = [
  'sk-(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}',
  'gh[pousr]_[A-Za-z0-9]{36,}',
  'github_pat_[A-Za-z0-9_]{22,}',
  'xox[abprs]-[A-Za-z0-9-]{10,}',
  '(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])',
  'AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])',
  '(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}',
  'npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])',
  'eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*',
]

/** Rules after the exact values; earlier alternatives win at the same position. */
const RULES = [
  `(?<urlUser>\\b[A-Za-z][A-Za-z0-9+.-]*://[^\\s/@:'"]+:)(?<urlPass>[^\\s/@'"]+)(?=@)`,
  `(?<auth>\\b${ci('authorization')}(?:\\\\?["'])?${PAIR_SEPARATOR}(?:\\\\?["'])?(?<authScheme>${AUTH_SCHEME}[ \\t]+)?)(?<authValue>[^\\s"',;\\\\]+)`,
  `(?<bearer>\\b${ci('bearer')}[ \\t]+)(?<bearerValue>[A-Za-z0-9._~+/=-]{8,})`,
  `(?<pair>(?<![A-Za-z0-9_])${SECRET_NAME}(?:\\\\?["'])?${PAIR_SEPARATOR})(?:(?<already>\\[redacted\\])|\\\\"(?<escaped>[^"\\\\\\n]*)\\\\"|"(?<double>[^"\\n]*)"|'(?<single>[^'\\n]*)'|(?<bare>[^\\s"',;&)}\\]<>\\\\]+))`,
  `(?<token>(?<![A-Za-z0-9_-])(?:${TOKENS.join('|')}))`,
]

/**
 * A loose form of RULES, tried case-insensitively first: every rule's match contains a match of
 * it (a secret's name then its separator, `Bearer `, `://…@`, a key's prefix). Typical output has
 * none, and this one cheap scan spares it the combined regex, which costs more than storing it.
 */
const TRIGGERS = [
  `://[^\\s/@'"]+@`,
  `(?:authorization|pass(?:word|wd|phrase)|secret|token|key|credentials?)(?:\\\\?["'])?[ \\t]*[:=]`,
  `bearer[ \\t]`,
  `(?:sk-|sk_|rk_|gh[pousr]_|github_pat_|xox[abprs]-|akia|asia|aiza|npm_|eyj)`,
]

/** An unfinished `name: ` / `Bearer ` / `scheme://user:` at the end: the secret may follow. */
const ARMED = new RegExp(
  [
    `(?<![A-Za-z0-9_])${SECRET_NAME}(?:\\\\?["'])?[ \\t]*(?:(?::(?!:)|=)[ \\t]*(?:\\\\?["'][^"'\\n]*)?)?$`,
    `\\b${ci('authorization')}(?:\\\\?["'])?[ \\t]*(?:[:=][ \\t]*(?:\\\\?["'])?(?:${AUTH_SCHEME}[ \\t]*)?)?$`,
    `\\b${ci('bearer')}[ \\t]*$`,
    `\\b[A-Za-z][A-Za-z0-9+.-]*:(?:/|//[^\\s/@'"]*)?$`,
  ].join('|'),
)
/** How far back an unfinished name/value is looked for. */
const ARMED_LOOKBACK = 1024
/** Armed spaces tried before a search gives up and the text stays held (bounds the work per call). */
const MAX_ARMED_TRIES = 64

/** Characters a key-shaped secret is made of: a run of them at the end may still grow. */
const TOKEN_CHAR = /[A-Za-z0-9_\-.+/=~]/

/** Values that name a type or a placeholder rather than hold a secret (`token: string`). */
const NOT_SECRET_VALUES = new Set([
  '',
  'null',
  'none',
  'nil',
  'undefined',
  'true',
  'false',
  'string',
  'number',
  'boolean',
  'bool',
  'str',
  'int',
  'any',
  'object',
  'required',
  'optional',
  REDACTED,
  '<redacted>',
])

function keepsValue(value: string): boolean {
  return NOT_SECRET_VALUES.has(value.toLowerCase()) || /^\*+$/.test(value) || /^\$\{?[A-Za-z_]/.test(value)
}

type Groups = Record<string, string | undefined>

function replaceMatch(match: string, groups: Groups): string {
  if (groups.exact !== undefined) return REDACTED
  if (groups.urlPass !== undefined) return `${groups.urlUser}${REDACTED}`
  if (groups.authValue !== undefined) {
    const value = groups.authValue
    if (keepsValue(value) || (groups.authScheme === undefined && value.length < MIN_SECRET_VALUE_LENGTH))
      return match
    return `${groups.auth}${REDACTED}`
  }
  if (groups.bearerValue !== undefined) {
    const value = groups.bearerValue
    const tokenLike = /[0-9._~+/=-]/.test(value) || value.length >= 20
    return tokenLike ? `${groups.bearer}${REDACTED}` : match
  }
  if (groups.pair !== undefined) {
    if (groups.already !== undefined) return match
    const value = groups.escaped ?? groups.double ?? groups.single ?? groups.bare ?? ''
    if (keepsValue(value)) return match
    const quote =
      groups.escaped !== undefined
        ? '\\"'
        : groups.double !== undefined
          ? '"'
          : groups.single !== undefined
            ? "'"
            : ''
    return `${groups.pair}${quote}${REDACTED}${quote}`
  }
  return REDACTED
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const extras = [...new Set(options.extraSecrets ?? [])]
    .filter((value) => value.length >= MIN_SECRET_VALUE_LENGTH)
    .sort((a, b) => b.length - a.length)
  const sources = extras.length > 0 ? [`(?<exact>${extras.map(escapeRegExp).join('|')})`, ...RULES] : RULES
  const combined = new RegExp(sources.join('|'), 'g')
  // The exact values are looked for as plain substrings: in the case-insensitive trigger, a long
  // literal made the scan several times slower than storing the line.
  const trigger = options.fullScan ? /(?:)/ : new RegExp(TRIGGERS.join('|'), 'i')
  const mayHoldSecret = (text: string) => trigger.test(text) || extras.some((secret) => text.includes(secret))

  const redactText = (text: string): string =>
    mayHoldSecret(text)
      ? text.replace(combined, (match: string, ...rest: unknown[]) =>
          replaceMatch(match, rest.at(-1) as Groups),
        )
      : text

  const redact = (text: string): string => {
    let out = ''
    let pos = 0
    while (pos < text.length) {
      const start = findPemStart(text, pos)
      if (start < 0) break
      out += redactText(text.slice(pos, start))
      const block = pemBlock(text, start, true) as NonNullable<ReturnType<typeof pemBlock>>
      out += block.replacement
      pos = block.end
    }
    return out + redactText(text.slice(pos))
  }

  /** Where the longest suffix that is a proper prefix of an exact secret starts. */
  const partialExactStart = (text: string): number => {
    let start = text.length
    for (const secret of extras) {
      for (let k = Math.min(secret.length - 1, text.length); k > 0 && text.length - k < start; k--) {
        if (text.endsWith(secret.slice(0, k))) {
          start = text.length - k
          break
        }
      }
    }
    return start
  }

  const armedBefore = (text: string, p: number): boolean => {
    const window = text.slice(Math.max(0, p - ARMED_LOOKBACK), p)
    return ARMED.test(window.slice(window.lastIndexOf('\n') + 1))
  }

  const safeLength = (text: string, floor = 0): number => {
    if (text === '') return 0
    // Sorted by start and never overlapping, as a global regex finds them.
    const matches = mayHoldSecret(text)
      ? [...text.matchAll(combined)].map((m) => [m.index, m.index + m[0].length] as const)
      : []
    let limit = Math.min(partialExactStart(text), partialPemStart(text))
    for (const [start, end] of matches) if (end === text.length) limit = Math.min(limit, start)
    const last = text[text.length - 1] as string
    if (limit === text.length && !TOKEN_CHAR.test(last) && !armedBefore(text, text.length)) return text.length
    // Otherwise cut after whitespace: no secret starts there unless a name or another match arms it.
    let before = matches.length - 1
    let armedTries = 0
    for (let p = limit; p > floor; p--) {
      if (!/\s/.test(text[p - 1] as string)) continue
      while (before >= 0 && (matches[before]?.[0] ?? -1) >= p) before--
      const spanning = matches[before]
      if (spanning && p < spanning[1]) {
        p = spanning[0] + 1
        continue
      }
      if (!armedBefore(text, p)) return p
      // Text armed at every space ("password: password: …") has no cut; holding it is safe.
      if (++armedTries === MAX_ARMED_TRIES) return 0
    }
    return 0
  }

  return { redact, redactText, safeLength }
}
