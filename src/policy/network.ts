import { gitNetworkHosts, parseGit } from './git'
import { hostOf } from './hosts'
import { INTERPRETER, inlineCode } from './interpreters'
import { type ParsedArgs, parseArgs, skipOptions } from './options'
import type { ShellWord } from './shell-words'
import { basename } from './wrappers'

/**
 * The hosts a command would reach, or `null` when it uses no network. A host of `''` means the
 * text does not say which (a git remote name, a URL list read from a file, a built URL).
 * Tools are recognised by their argv; inline interpreter code (`python -c`, `node -e`) is judged
 * by a best-effort look for networking APIs.
 */
export function networkHosts(argv: ShellWord[]): string[] | null {
  const head = argv[0]
  if (head === undefined) return null
  const name = basename(head.text).toLowerCase()
  const texts = argv.map((w) => w.text)
  const git = parseGit(argv)
  if (git) return gitNetworkHosts(git)
  const tool = TOOLS[name]
  if (tool) return tool(texts)
  if (INTERPRETER.test(name)) return interpreterHosts(name, texts)
  return null
}

type Tool = (texts: string[]) => string[] | null

const hostsOf = (targets: Array<string | undefined>): string[] | null => {
  const hosts = targets.flatMap((target) => {
    if (target === undefined) return []
    const host = hostOf(target)
    return host === undefined ? [] : [host]
  })
  return hosts.length > 0 ? hosts : null
}

const values = (args: ParsedArgs, ...keys: string[]) => keys.flatMap((key) => args.values.get(key) ?? [])

/** Options that take a value, so their values are not mistaken for hosts. */
const CURL_LONG = [
  'data',
  'data-raw',
  'data-binary',
  'data-urlencode',
  'data-ascii',
  'json',
  'header',
  'output',
  'output-dir',
  'request',
  'user',
  'user-agent',
  'cookie',
  'cookie-jar',
  'form',
  'form-string',
  'referer',
  'url',
  'proxy',
  'preproxy',
  'proxy-user',
  'max-time',
  'connect-timeout',
  'retry',
  'retry-delay',
  'retry-max-time',
  'config',
  'cert',
  'key',
  'cacert',
  'capath',
  'write-out',
  'upload-file',
  'range',
  'resolve',
  'connect-to',
  'interface',
  'dns-servers',
  'limit-rate',
  'oauth2-bearer',
  'continue-at',
  'dump-header',
  'trace',
  'trace-ascii',
  'stderr',
  'unix-socket',
  'abstract-unix-socket',
  'max-filesize',
  'max-redirs',
  'noproxy',
  'proto',
  'proto-default',
  'proto-redir',
  'quote',
  'socks4',
  'socks4a',
  'socks5',
  'socks5-hostname',
  'speed-limit',
  'speed-time',
  'time-cond',
  'variable',
  'aws-sigv4',
  'local-port',
  'netrc-file',
]

const WGET_LONG = [
  'output-document',
  'output-file',
  'append-output',
  'execute',
  'input-file',
  'base',
  'tries',
  'timeout',
  'wait',
  'quota',
  'directory-prefix',
  'user-agent',
  'level',
  'accept',
  'reject',
  'domains',
  'include-directories',
  'exclude-directories',
  'header',
  'post-data',
  'post-file',
  'body-data',
  'method',
  'user',
  'password',
  'referer',
]

const SSH_SHORT = 'BbcDEeFIiJLlmOoPpQRSWw'

/** `[user@]host:path` or a URL: a remote operand of scp/rsync. */
function remoteOperand(operand: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(operand)) return operand
  if (/^[./~]/.test(operand)) return undefined
  const colon = operand.indexOf(':')
  const slash = operand.indexOf('/')
  return colon > 0 && (slash < 0 || colon < slash) ? operand.slice(0, colon) : undefined
}

/** `ssh -o ProxyCommand=…` runs a local command to connect: where it goes is unknown. */
function sshOptionHosts(args: ParsedArgs): string[] {
  return values(args, 'o').some((option) => /^(?:proxycommand|proxyjump|localcommand)/i.test(option))
    ? ['']
    : []
}

const destinationTool =
  (short: string, long: string[] = []): Tool =>
  (texts) => {
    const first = skipOptions(texts, 1, { short, long })
    const args = parseArgs(texts.slice(0, first), 1, { short, long })
    const destination = texts[first]
    if (destination === undefined) return null
    return [...(hostsOf([destination, ...values(args, 'J')]) ?? ['']), ...sshOptionHosts(args)]
  }

const TOOLS: Record<string, Tool> = {
  curl: (texts) => {
    const args = parseArgs(texts, 1, { short: 'AbcCdDeEFHKmoPQrTtuUwxXyYz', long: CURL_LONG })
    if (values(args, 'K', 'config').length > 0) return ['']
    return hostsOf([
      ...args.operands,
      ...values(args, 'url', 'x', 'proxy', 'preproxy', 'socks4', 'socks4a', 'socks5', 'socks5-hostname'),
    ])
  },
  wget: (texts) => {
    const args = parseArgs(texts, 1, { short: 'OoaeiBtTwQPUlARDIX', long: WGET_LONG })
    if (values(args, 'i', 'input-file').length > 0) return ['']
    return hostsOf(args.operands)
  },
  aria2c: (texts) => {
    const args = parseArgs(texts, 1, { short: 'dio', long: ['dir', 'input-file', 'out'] })
    if (values(args, 'i', 'input-file').length > 0) return ['']
    return hostsOf(args.operands)
  },
  ssh: destinationTool(SSH_SHORT),
  sftp: destinationTool('BbcDFiJloPRSsX'),
  mosh: destinationTool('p', ['ssh', 'port', 'predict', 'client', 'server', 'bind-server']),
  telnet: destinationTool('beklnSX'),
  ftp: destinationTool('Po'),
  lftp: destinationTool('efpuc'),
  scp: (texts) => {
    const args = parseArgs(texts, 1, { short: 'cFiJlPoSDX' })
    const remotes = args.operands.map(remoteOperand).filter((r): r is string => r !== undefined)
    if (remotes.length === 0) return null
    return [...(hostsOf([...remotes, ...values(args, 'J')]) ?? []), ...sshOptionHosts(args)]
  },
  rsync: (texts) => {
    const args = parseArgs(texts, 1, {
      short: 'eBfTM',
      long: ['rsh', 'exclude', 'include', 'filter', 'files-from', 'exclude-from', 'include-from', 'temp-dir'],
    })
    const remotes = args.operands.map(remoteOperand).filter((r): r is string => r !== undefined)
    return remotes.length === 0 ? null : hostsOf(remotes)
  },
  nc: netcat,
  ncat: netcat,
  netcat: netcat,
  socat: (texts) => {
    const hosts = texts.slice(1).flatMap((address) => {
      const [type = '', host = ''] = address.split(':')
      if (/LISTEN|^UNIX|^ABSTRACT/i.test(type)) return ['localhost']
      return /^(?:TCP|UDP|SCTP|DCCP|OPENSSL|SSL|SOCKS|PROXY)/i.test(type) ? [host] : []
    })
    return hosts.length > 0 ? hosts : null
  },
  http: httpie,
  https: httpie,
  xh: httpie,
  xhs: httpie,
  gh: (texts) => (texts.length > 1 ? ['github.com'] : null),
}

function netcat(texts: string[]): string[] | null {
  const args = parseArgs(texts, 1, {
    short: 'eIiMmOpqsTVwXx',
    long: [
      'exec',
      'sh-exec',
      'lua-exec',
      'proxy',
      'proxy-type',
      'proxy-auth',
      'source',
      'source-port',
      'wait',
    ],
  })
  if (args.flags.has('l') || args.flags.has('listen') || args.flags.has('U') || args.flags.has('unixsock'))
    return ['localhost']
  const proxy = values(args, 'x', 'proxy')
  if (args.operands.length === 0 && proxy.length === 0) return null
  return hostsOf([args.operands[0], ...proxy]) ?? ['']
}

/** HTTPie and xh: `[METHOD] URL [items…]`; `:3000/path` is their shorthand for localhost. */
function httpie(texts: string[]): string[] | null {
  const args = parseArgs(texts, 1, {
    short: 'aAop',
    long: [
      'auth',
      'auth-type',
      'output',
      'print',
      'session',
      'proxy',
      'timeout',
      'verify',
      'cert',
      'cert-key',
    ],
  })
  const operands = /^[A-Z]+$/.test(args.operands[0] ?? '') ? args.operands.slice(1) : args.operands
  const url = operands[0]
  if (url === undefined) return null
  return url.startsWith(':') ? ['localhost'] : (hostsOf([url]) ?? [''])
}

const NETWORK_API =
  /(?<![\w.])(?:urllib\d?|http\.client|httplib\d?|requests\.|httpx|aiohttp|import\s+socket|socket\.|websockets?|ftplib|smtplib|telnetlib|paramiko|fetch\s*\(|XMLHttpRequest|WebSocket|EventSource|axios|undici|net\.(?:connect|createConnection|Socket)|tls\.connect|dgram|https?\.(?:get|request)\b|http2|Bun\.connect|Deno\.connect|Net::HTTP|open-uri|LWP|IO::Socket|HTTP::Tiny|curl_init|fsockopen|stream_socket_client)|(?:require\(|from\s+|import\s*\(?)\s*['"](?:node:)?(?:https?|net|tls|dgram|http2)['"]/

function interpreterHosts(name: string, texts: string[]): string[] | null {
  const code = inlineCode(name, texts)
  if (code === undefined || !NETWORK_API.test(code)) return null
  const urls = [...code.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`)]+/gi)].map((match) => match[0])
  return hostsOf(urls) ?? ['']
}
