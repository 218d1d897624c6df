import net, { type Server, type Socket } from 'node:net'
import { type Endpoint, endpointKey, normalizeHost } from '../../policy/endpoints'
import { splice } from './splice'
import { connectRequest, proxyFor, type UpstreamProxy } from './upstream'

/**
 * The HTTP forward proxy a sandboxed agent reaches its model API through. It listens on a Unix
 * socket in the run's own directory (a bridge inside the sandbox forwards 127.0.0.1:<port> to it)
 * and serves exactly two kinds of request, for the allowed endpoints only:
 * - `CONNECT host:port` opens a tunnel (HTTPS), through the upstream proxy when one is configured;
 * - a plain-HTTP request in absolute form (`GET http://host:port/path`) is sent on to that host,
 *   and the connection stays with it (a later request on it cannot reach another host).
 * Any other endpoint is answered 403 and reported; anything that is not a proxy request, 400.
 */
export interface FilteringProxyOptions {
  allowed: Endpoint[]
  upstream: UpstreamProxy
  /** `host:port` of a request that was refused because the endpoint is not allowed. */
  onRefused(target: string): void
}

const MAX_HEAD_BYTES = 16 * 1024
const HEAD_TIMEOUT_MS = 30_000
const HEAD_END = Buffer.from('\r\n\r\n')
const ESTABLISHED = 'HTTP/1.1 200 Connection Established\r\n\r\n'
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
}
/** Headers meant for this proxy, not for the host behind it. */
const PROXY_HEADERS = /^proxy-(authorization|connection):/i

interface ProxyRequest {
  target: Endpoint
  /** The head to send to the target (plain HTTP, in origin form); null for a tunnel. */
  forwardHead: Buffer | null
}

export function filteringProxy(options: FilteringProxyOptions): Server {
  const allowed = new Set(options.allowed.map(endpointKey))
  return net.createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => client.destroy())
    readHead(
      client,
      (head, rest) => {
        const request = parseRequest(head)
        if (request === null) {
          answer(client, 400, 'openRuntime: this proxy takes CONNECT host:port or an absolute http:// URL')
          return
        }
        const target = endpointKey(request.target)
        if (!allowed.has(target)) {
          options.onRefused(target)
          answer(client, 403, `openRuntime: ${target} is not an endpoint this run may reach`)
          return
        }
        if (request.forwardHead !== null) {
          const head = request.forwardHead
          dial(client, request.target, (server) => {
            server.write(head)
            open(client, server, rest)
          })
          return
        }
        tunnel(client, request.target, rest, proxyFor(options.upstream, request.target))
      },
      () => answer(client, 431, 'openRuntime: request head too large'),
    )
  })
}

/** Opens a tunnel, directly or through the upstream proxy, and answers 200 once it stands. */
function tunnel(client: Socket, target: Endpoint, rest: Buffer, via: URL | null): void {
  if (via === null) {
    dial(client, target, (server) => {
      client.write(ESTABLISHED)
      open(client, server, rest)
    })
    return
  }
  const proxy = { host: normalizeHost(via.hostname), port: via.port ? Number(via.port) : 80 }
  dial(client, proxy, (server) => {
    server.write(connectRequest(via, endpointKey(target)))
    readHead(
      server,
      (head, early) => {
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'))?.[1]
        if (status !== '200') {
          server.destroy()
          answer(client, 502, `openRuntime: the upstream proxy refused the tunnel (${status ?? 'no status'})`)
          return
        }
        client.write(ESTABLISHED)
        if (early.length > 0) client.write(early)
        open(client, server, rest)
      },
      () => {
        server.destroy()
        answer(client, 502, 'openRuntime: the upstream proxy answered garbage')
      },
    )
  })
}

/** Connects to an endpoint; answers 502 when that fails. The client going away ends the attempt. */
function dial(client: Socket, endpoint: Endpoint, opened: (server: Socket) => void): void {
  const server = net.connect({ host: endpoint.host, port: endpoint.port, allowHalfOpen: true })
  let connected = false
  client.once('close', () => server.destroy())
  server.on('error', (error) => {
    if (connected) client.destroy()
    else answer(client, 502, `openRuntime: cannot reach ${endpointKey(endpoint)}: ${error.message}`)
  })
  server.once('connect', () => {
    connected = true
    opened(server)
  })
}

function open(client: Socket, server: Socket, rest: Buffer): void {
  if (rest.length > 0) server.write(rest)
  splice(client, server)
}

/**
 * Collects a head (up to the blank line) from a paused-afterwards socket; `tooLarge` when none
 * fits the limit. A peer that sends no complete head in time is dropped.
 */
function readHead(socket: Socket, done: (head: Buffer, rest: Buffer) => void, tooLarge: () => void): void {
  let buffered: Buffer = Buffer.alloc(0)
  const stop = () => {
    socket.off('data', onData)
    socket.pause()
    socket.setTimeout(0)
  }
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
    const end = buffered.indexOf(HEAD_END)
    if (end < 0) {
      if (buffered.length > MAX_HEAD_BYTES) {
        stop()
        tooLarge()
      }
      return
    }
    stop()
    done(buffered.subarray(0, end + HEAD_END.length), buffered.subarray(end + HEAD_END.length))
  }
  socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy())
  socket.on('data', onData)
}

function parseRequest(head: Buffer): ProxyRequest | null {
  const text = head.toString('latin1')
  const lineEnd = text.indexOf('\r\n')
  const parts = text.slice(0, lineEnd).split(' ')
  const [method, target, version] = parts
  if (parts.length !== 3 || !method || !target || !/^HTTP\/1\.[01]$/.test(version ?? '')) return null
  if (method === 'CONNECT') {
    const endpoint = parseAuthority(target)
    return endpoint && { target: endpoint, forwardHead: null }
  }
  if (!/^http:\/\//i.test(target)) return null
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return null
  }
  const port = url.port ? Number(url.port) : 80
  const headers = text
    .slice(lineEnd + 2)
    .split('\r\n')
    .filter((line) => !PROXY_HEADERS.test(line))
    .join('\r\n')
  const forwardHead = `${method} ${url.pathname}${url.search} ${version}\r\n${headers}`
  return {
    target: { host: normalizeHost(url.hostname), port },
    forwardHead: Buffer.from(forwardHead, 'latin1'),
  }
}

/** `host:port` or `[v6]:port`, as CONNECT names its target. */
function parseAuthority(authority: string): Endpoint | null {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_.-]+)):(\d{1,5})$/i.exec(authority)
  const host = match?.[1] ?? match?.[2]
  const port = Number(match?.[3])
  if (!host || !(port >= 1 && port <= 65535)) return null
  return { host: normalizeHost(host), port }
}

/** A short plain-text answer, then the connection ends. */
function answer(client: Socket, status: number, text: string): void {
  if (client.destroyed) return
  const body = `${text}\n`
  client.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    () => client.destroy(),
  )
}
