import { htmlDocument } from './html-document'
import { TOKEN_FORM_FIELD } from './names'

/** The page that turns the server token into a cookie, for browsers (API clients send a Bearer header). */
export function loginPage(props: { failed: boolean }): string {
  return htmlDocument({
    title: 'openRuntime · sign in',
    body: (
      <body style="font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto">
        <h1>openRuntime</h1>
        <p>
          This server requires its access token. Open the sign-in link it printed when it started, or paste
          the token: the file <code>token</code> in its data directory, or the value of OPENRUNTIME_TOKEN.
        </p>
        {props.failed ? <p role="alert">That token is not right.</p> : ''}
        <form method="post" action="/login">
          <label for="token">Token</label>{' '}
          <input id="token" name={TOKEN_FORM_FIELD} type="password" required autofocus />{' '}
          <button type="submit">Sign in</button>
        </form>
      </body>
    ),
  })
}
