import { Elysia } from 'elysia'
import type { Config } from '../config'
import { type GitAction, type GitService, serveGit } from '../git/http-backend'
import { errorBody } from './errors'
import type { Services } from './services'

const SERVICES = new Set<string>(['git-upload-pack', 'git-receive-pack'])
const REPOSITORY_NAME = /^([A-Za-z0-9._-]+)\.git$/

const json = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

// git asks its credential helpers (or the URL's user:password) only after a 401 that names Basic.
const unauthorized = () =>
  json(401, 'unauthorized', 'the git endpoint requires a runner token (Bearer, or as the Basic password)', {
    'www-authenticate': 'Basic realm="openRuntime"',
  })

// The same answer whether the repository does not exist or the host may not see it: names do not leak.
const notFound = () => json(404, 'repository_not_found', 'no such repository')

/**
 * The runner token a request carries: `Authorization: Bearer <token>`, or HTTP Basic as git's
 * credential flow sends it (any user name, the token as the password; a token given as the user
 * name alone is taken too).
 */
export function runnerTokenFrom(request: Request): string | null {
  const auth = request.headers.get('authorization') ?? ''
  const [scheme, value] = auth.trim().split(/\s+/, 2)
  if (!scheme || !value) return null
  if (scheme.toLowerCase() === 'bearer') return value
  if (scheme.toLowerCase() !== 'basic') return null
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)]
  return password || user || null
}

/**
 * git's smart HTTP protocol over the workspace repositories, for runner hosts: the ref
 * advertisement, fetch (upload-pack) and push (receive-pack, into the host's attempt namespaces
 * only). Authenticated with runner tokens, never the user's; with no access configured every
 * repository is unknown.
 */
export function gitHttpRoutes(
  services: Pick<Services, 'gitRemote'>,
  config: Pick<Config, 'gitMaxPushBytes'>,
) {
  const access = services.gitRemote
  const serve = async (request: Request, repository: string, action: GitAction) => {
    if (!access) return notFound()
    const token = runnerTokenFrom(request)
    const host = token === null ? null : access.hostFor(token)
    if (host === null) return unauthorized()
    const name = REPOSITORY_NAME.exec(repository)?.[1]
    const path = name === undefined ? null : access.repositoryFor(host.id, name)
    if (path === null) return notFound()
    return serveGit({ access, host, repository: path, action, request, maxPushBytes: config.gitMaxPushBytes })
  }
  const hidden = { detail: { hide: true } }
  return new Elysia({ name: 'git-http-routes' })
    .get(
      '/git/:repository/info/refs',
      ({ request, params, query }) => {
        const service = query.service
        if (typeof service !== 'string' || !SERVICES.has(service)) {
          return json(
            400,
            'smart_http_only',
            'only git smart HTTP is served: ask for info/refs?service=git-upload-pack or git-receive-pack',
          )
        }
        return serve(request, params.repository, { kind: 'info-refs', service: service as GitService })
      },
      hidden,
    )
    .post(
      '/git/:repository/git-upload-pack',
      ({ request, params }) => serve(request, params.repository, { kind: 'rpc', service: 'git-upload-pack' }),
      { ...hidden, parse: 'none' },
    )
    .post(
      '/git/:repository/git-receive-pack',
      ({ request, params }) =>
        serve(request, params.repository, { kind: 'rpc', service: 'git-receive-pack' }),
      { ...hidden, parse: 'none' },
    )
}
