import { isSecretName } from './environment'
import { INTERPRETER, inlineCode } from './interpreters'
import type { ShellWord, SimpleCommand } from './shell-words'
import { basename } from './wrappers'

/**
 * What in a command reads or prints a secret, or undefined. Secrets are credential files and
 * directories (`.env`, `~/.ssh`, `~/.aws`, `id_rsa`…), environment dumps (`env`, `printenv`),
 * expansions of secret-named variables (`$GITHUB_TOKEN`) and credential helpers (`security
 * find-generic-password`, `gh auth token`). Paths are compared component by component, so
 * `.envrc`, `process.env` and `.env.example` are not secrets.
 */
export function secretUse(cmd: SimpleCommand): string | undefined {
  return dumpsEnvironment(cmd) ?? credentialHelper(cmd.argv) ?? secretPath(cmd) ?? secretVariable(cmd)
}

function dumpsEnvironment(cmd: SimpleCommand): string | undefined {
  const lastView = cmd.views.at(-1)
  if (cmd.argv.length === 0 && lastView && basename(lastView[0]?.text ?? '') === 'env') return 'env'
  const [head, ...rest] = cmd.argv.map((w) => w.text)
  if (head === undefined) return undefined
  const operands = rest.filter((arg) => !arg.startsWith('-'))
  const name = basename(head)
  if (name === 'printenv') {
    if (operands.length === 0) return 'printenv'
    const secret = operands.find(isSecretName)
    return secret === undefined ? undefined : `printenv ${secret}`
  }
  if (name === 'set' && rest.length === 0) return 'set'
  if (['export', 'declare', 'typeset'].includes(name) && operands.length === 0)
    return [head, ...rest].join(' ')
  return undefined
}

/** Programs whose job is to hand out a stored credential, by name and leading operands. */
const CREDENTIAL_HELPERS: string[][] = [
  ['security', 'find-generic-password'],
  ['security', 'find-internet-password'],
  ['security', 'dump-keychain'],
  ['security', 'export'],
  ['secret-tool', 'lookup'],
  ['secret-tool', 'search'],
  ['gh', 'auth', 'token'],
  ['gcloud', 'auth', 'print-access-token'],
  ['gcloud', 'auth', 'print-identity-token'],
  ['gcloud', 'auth', 'application-default', 'print-access-token'],
  ['aws', 'configure', 'get'],
  ['aws', 'configure', 'export-credentials'],
  ['aws', 'ecr', 'get-login-password'],
  ['az', 'account', 'get-access-token'],
  ['op', 'read'],
  ['op', 'item', 'get'],
  ['pass', 'show'],
]

function credentialHelper(argv: ShellWord[]): string | undefined {
  const head = argv[0]
  if (head === undefined) return undefined
  const words = [
    basename(head.text),
    ...argv
      .slice(1)
      .map((w) => w.text)
      .filter((text) => !text.startsWith('-')),
  ]
  const helper = CREDENTIAL_HELPERS.find((sequence) => sequence.every((part, i) => words[i] === part))
  return helper?.join(' ')
}

function secretPath(cmd: SimpleCommand): string | undefined {
  for (const word of [...cmd.words, ...cmd.redirects]) {
    const candidates = [word.text]
    const eq = word.text.indexOf('=')
    if (eq >= 0) candidates.push(word.text.slice(eq + 1))
    const found = candidates.find((candidate) => isSecretPath(candidate, word.pattern))
    if (found !== undefined) return found
  }
  const code = interpreterCode(cmd.argv)
  // Inline programs name paths inside string literals: judge each path-like piece.
  return code?.split(/[^A-Za-z0-9._~/$-]+/).find((piece) => piece !== '' && isSecretPath(piece, false))
}

function interpreterCode(argv: ShellWord[]): string | undefined {
  const head = argv[0]
  if (head === undefined) return undefined
  const name = basename(head.text).toLowerCase()
  return INTERPRETER.test(name)
    ? inlineCode(
        name,
        argv.map((w) => w.text),
      )
    : undefined
}

const ENV_ACCESS =
  /(?:process\.env|Bun\.env|import\.meta\.env|os\.environ|os\.getenv|getenv|Deno\.env\.get|\bENV)\s*(?:\.|\[|\(|\.get\s*\()?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)/g

function secretVariable(cmd: SimpleCommand): string | undefined {
  for (const word of cmd.words) {
    if (!word.dynamic) continue
    for (const match of word.text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
      if (isSecretName(match[1] as string)) return `$${match[1]}`
    }
  }
  const code = interpreterCode(cmd.argv)
  if (code === undefined) return undefined
  for (const match of code.matchAll(ENV_ACCESS)) {
    if (isSecretName(match[1] as string)) return match[0]
  }
  return undefined
}

const SECRET_DIRS = ['.ssh', '.aws', '.gnupg', '.password-store']
const SECRET_DIR_PAIRS = [
  ['.docker', 'config.json'],
  ['.config', 'gcloud'],
  ['.config', 'gh'],
  ['.kube', 'config'],
]
const SECRET_FILES = ['.netrc', '.git-credentials', '.pgpass']
const ENV_FILE = /^\.env(?:\.[^/]+)?$/
const ENV_TEMPLATE = /\.(?:example|sample|template|dist|defaults?)$/i
const KEY_FILE = /^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?!.*\.pub$)(?:$|[._-])/
/** Names a glob is tried against: a pattern that could expand to one of them is a secret path… */
const SECRET_SAMPLES = ['.env', '.env.local', '.env.production', 'id_rsa', 'id_ed25519', ...SECRET_FILES]
/** …unless it would as well match ordinary names, like `*` or `.*`: that is a listing, not a target. */
const ORDINARY_SAMPLES = ['README.md', 'index.ts', 'src', 'package.json', '.gitignore', '.github', '.cache']

function aimsAt(glob: string, name: string): boolean {
  return globMatches(glob, name) && !ORDINARY_SAMPLES.some((ordinary) => globMatches(glob, ordinary))
}

export function isSecretPath(path: string, pattern: boolean): boolean {
  const parts = path.split('/').filter((part) => part !== '')
  const last = parts.at(-1)
  if (last === undefined) return false
  const is = (part: string, name: string) => (pattern ? aimsAt(part, name) : part === name)
  if (parts.some((part) => SECRET_DIRS.some((dir) => is(part, dir)))) return true
  if (parts[0] === 'proc' && last === 'environ') return true
  for (let i = 0; i + 1 < parts.length; i++) {
    if (
      SECRET_DIR_PAIRS.some(
        ([dir, entry]) =>
          is(parts[i] as string, dir as string) && is(parts[i + 1] as string, entry as string),
      )
    )
      return true
  }
  if (pattern) return SECRET_SAMPLES.some((name) => aimsAt(last, name))
  return (
    SECRET_FILES.includes(last) || (ENV_FILE.test(last) && !ENV_TEMPLATE.test(last)) || KEY_FILE.test(last)
  )
}

/** Shell glob semantics for one path component, including that `*` does not match a leading dot. */
function globMatches(glob: string, name: string): boolean {
  if (name.startsWith('.') && !glob.startsWith('.')) return false
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end < 0) source += '\\['
      else {
        source += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else if (c === '{') {
      const end = glob.indexOf('}', i)
      if (end < 0) source += '\\{'
      else {
        source += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => alt.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|')})`
        i = end
      }
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  try {
    return new RegExp(`^${source}$`).test(name)
  } catch {
    return true
  }
}
