import { Elysia, t } from 'elysia'
import type { Config } from '../config'
import { loginPage } from '../views/login'
import { sameToken, TOKEN_COOKIE } from './security'

const html = (body: string, status = 200, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } })

/** A small login page that stores the server token in an HttpOnly, SameSite=Strict cookie. */
export function loginRoutes(config: Pick<Config, 'token'>) {
  return new Elysia({ name: 'login-routes', detail: { hide: true } })
    .get('/login', () => html(loginPage({ failed: false })))
    .post(
      '/login',
      ({ body }) => {
        if (!config.token || !sameToken(body.token, config.token))
          return html(loginPage({ failed: true }), 401)
        return new Response(null, {
          status: 303,
          headers: {
            location: '/',
            'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(body.token)}; Path=/; HttpOnly; SameSite=Strict`,
          },
        })
      },
      { body: t.Object({ token: t.String({ maxLength: 1024 }) }) },
    )
}
