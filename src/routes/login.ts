import { Elysia, t } from 'elysia'
import type { Config } from '../config'
import { loginPage } from '../views/login'
import { sameToken, TOKEN_COOKIE } from './security'

/** Neither the page nor the link that carries the token is cached or passed on as a referrer. */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }

/**
 * The form page may pass its address to this server alone: under `no-referrer` a browser sends
 * its POST with `Origin: null`, which the origin check refuses, and the form could never sign in.
 */
const html = (body: string, status = 200) =>
  new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...PRIVATE, 'referrer-policy': 'same-origin' },
  })

const token = t.String({ maxLength: 1024 })

/**
 * Signing a browser in stores the server token in an HttpOnly, SameSite=Strict cookie: through the
 * form, or through the link the server prints at start (`/login?token=…`, as Jupyter does), which
 * redirects to `/` so the token leaves the address bar and the history keeps no entry with it.
 */
export function loginRoutes(config: Pick<Config, 'token'>) {
  const signIn = (given: string) => {
    if (!config.token || !sameToken(given, config.token)) return html(loginPage({ failed: true }), 401)
    return new Response(null, {
      status: 303,
      headers: {
        location: '/',
        'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(given)}; Path=/; HttpOnly; SameSite=Strict`,
        ...PRIVATE,
      },
    })
  }
  return new Elysia({ name: 'login-routes', detail: { hide: true } })
    .get(
      '/login',
      ({ query }) => (query.token === undefined ? html(loginPage({ failed: false })) : signIn(query.token)),
      {
        query: t.Object({ token: t.Optional(token) }),
      },
    )
    .post('/login', ({ body }) => signIn(body.token), { body: t.Object({ token }) })
}
