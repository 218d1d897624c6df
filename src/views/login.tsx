import { htmlDocument } from './html-document'
import { TOKEN_FORM_FIELD } from './names'

/**
 * Inline because the page is shown before sign-in, and /assets needs the token like everything
 * else. Field and button are finger-sized: a phone on the LAN signs in here by pasting the token.
 */
const LOGIN_STYLE = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5 }
  body { max-width: 28rem; margin: 4rem auto; padding: 0 1rem }
  form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center }
  label { flex-basis: 100% }
  input, button { min-height: 44px; font: inherit; font-size: 1rem; padding: 0 0.75rem; box-sizing: border-box }
  input { flex: 1 1 12rem; min-width: 0 }
  button { min-width: 44px }
`

/** The page that turns the server token into a cookie, for browsers (API clients send a Bearer header). */
export function loginPage(props: { failed: boolean }): string {
  return htmlDocument({
    title: 'openRuntime · sign in',
    head: <style>{LOGIN_STYLE as 'safe'}</style>,
    body: (
      <body>
        <h1>openRuntime</h1>
        <p>
          This server requires its access token. Open the sign-in link it printed when it started, or paste
          the token: the file <code>token</code> in its data directory, or the value of OPENRUNTIME_TOKEN.
        </p>
        {props.failed ? <p role="alert">That token is not right.</p> : ''}
        <form method="post" action="/login">
          <label for="token">Token</label>
          <input id="token" name={TOKEN_FORM_FIELD} type="password" required autofocus />
          <button type="submit">Sign in</button>
        </form>
      </body>
    ),
  })
}
