import { timingSafeEqual } from 'node:crypto'
import { Elysia } from 'elysia'
import type { Config } from '../config'
import { errorBody } from './errors'

export const TOKEN_COOKIE = 'openruntime_token'
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1'])
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const PUBLIC_PATHS = new Set(['/login', '/health'])
/** The runner protocol: a runner host's token there, and only there. */
const RUNNER_PROTOCOL = '/runner/v1/'
/** The git endpoint's smart HTTP paths: the git route authenticates runner hosts itself (Bearer or Basic). */
export const isGitSmartPath = (path: string) =>
  /^\/git\/[A-Za-z0-9._-]+\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/.test(path)

function refuse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function tokenFrom(request: Request): string | null {
  const auth = request.headers.get('authorization')
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim()
  const cookie = request.headers.get('cookie') ?? ''
  for (const part of cookie.split(';')) {
    const [name, ...value] = part.trim().split('=')
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join('='))
  }
  return null
}

/** The host an Origin header names, or null when the header is not an origin at all. */
const originHost = (origin: string): string | null => (URL.canParse(origin) ? new URL(origin).host : null)

/** A browser navigating to a page (not an API client, not an htmx fragment): it is sent to sign in. */
const wantsPage = (request: Request) =>
  request.method === 'GET' &&
  request.headers.get('hx-request') === null &&
  (request.headers.get('accept') ?? '').includes('text/html')

const hostnameOf = (host: string) =>
  host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '')

/**
 * What keeps a web page the user happens to visit from driving this server:
 * - on loopback, the Host header must be a loopback name (defeats DNS rebinding);
 * - unless auth is off (OPENRUNTIME_AUTH=none), every request but /health and /login carries the
 *   server's token (Bearer header or the login cookie), on loopback too: any local process, a run
 *   included, could otherwise drive the server;
 * - the runner protocol and the git endpoint take a runner host's token instead (`runnerToken`
 *   says whether one is valid), never the user's; a runner token opens nothing else;
 * - a request from another origin is refused unless that origin is listed in OPENRUNTIME_CORS_ORIGINS,
 *   and a state-changing request from a browser must come from this server's own pages.
 */
export function security(
  config: Pick<Config, 'host' | 'token' | 'corsOrigins'>,
  runnerToken: (token: string) => boolean = () => false,
) {
  const allowedOrigins = new Set(config.corsOrigins)
  const loopbackOnly = LOOPBACK_HOSTS.has(config.host)
  return new Elysia({ name: 'security' }).onRequest(({ request, set }) => {
    const url = new URL(request.url)
    const host = request.headers.get('host') ?? url.host
    if (loopbackOnly && !LOOPBACK_HOSTS.has(hostnameOf(host))) {
      return refuse(
        403,
        'host_not_allowed',
        `requests must address this server by a loopback name, not "${host}"`,
      )
    }
    const origin = request.headers.get('origin')
    const fromHost = origin === null || origin === 'null' ? null : originHost(origin)
    if (origin !== null && origin !== 'null' && fromHost === null) {
      return refuse(
        403,
        'cross_origin_refused',
        `the Origin header ${JSON.stringify(origin)} is not an origin`,
      )
    }
    const crossOrigin = fromHost !== null && fromHost !== host
    const listed = origin !== null && allowedOrigins.has(origin)
    if (request.method === 'OPTIONS' && origin !== null) {
      if (!listed) return refuse(403, 'cross_origin_refused', `origin ${origin} is not allowed`)
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, POST, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers': 'authorization, content-type, last-event-id',
          'access-control-max-age': '600',
          vary: 'Origin',
        },
      })
    }
    if ((crossOrigin || origin === 'null') && !listed) {
      return refuse(
        403,
        'cross_origin_refused',
        `cross-origin request from ${origin} refused; list it in OPENRUNTIME_CORS_ORIGINS to allow it`,
      )
    }
    if (!SAFE_METHODS.has(request.method) && origin === null) {
      const site = request.headers.get('sec-fetch-site')
      if (site === 'cross-site' || site === 'same-site') {
        return refuse(403, 'cross_origin_refused', 'state-changing request from another site refused')
      }
    }
    if (listed) {
      set.headers['access-control-allow-origin'] = origin
      set.headers.vary = 'Origin'
    }
    if (url.pathname.startsWith(RUNNER_PROTOCOL)) {
      const given =
        request.headers
          .get('authorization')
          ?.match(/^bearer (.+)$/i)?.[1]
          ?.trim() ?? null
      if (given === null || !runnerToken(given))
        return refuse(
          401,
          'unauthorized',
          'runner routes require a runner host token: "Authorization: Bearer ort_…"',
        )
      return
    }
    if (isGitSmartPath(url.pathname)) return
    if (config.token && !PUBLIC_PATHS.has(url.pathname)) {
      const given = tokenFrom(request)
      if (given === null || !sameToken(given, config.token)) {
        if (wantsPage(request)) return new Response(null, { status: 303, headers: { location: '/login' } })
        return refuse(
          401,
          'unauthorized',
          'this server requires its token: send "Authorization: Bearer <token>" or log in at /login',
        )
      }
    }
  })
}
