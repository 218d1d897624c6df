import type { Children } from '@kitajs/html'
import { htmlDocument } from './html-document'

export interface LayoutProps {
  title: string
  /** Page scripts from /assets, loaded after htmx. */
  scripts?: string[]
  styles?: string[]
  children: Children
}

/**
 * The page shell. Every request error (4xx/5xx) is routed into #flash: htmx 4 swaps error bodies,
 * and the page routes answer them with readable HTML.
 */
export function Layout({ title, scripts = [], styles = [], children }: LayoutProps): string {
  return htmlDocument({
    title: `${title} · openRuntime`,
    head: (
      <>
        <link rel="icon" href="data:," />
        {styles.map((href) => (
          <link rel="stylesheet" href={href} />
        ))}
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="stylesheet" href="/assets/conversation.css" />
        {/* Not deferred: htmx starts at DOMContentLoaded only if it loads while the document is still
        parsing; deferred, it could start before its SSE extension registered and miss hx-sse:connect. */}
        <script src="/assets/htmx.min.js"></script>
        <script src="/assets/hx-sse.min.js"></script>
        <script src="/assets/attention.js" defer></script>
        <script src="/assets/ui.js" defer></script>
        {scripts.map((src) => (
          <script src={src} defer></script>
        ))}
      </>
    ),
    body: (
      <body
        {...{
          'hx-status:4xx:inherited': 'target:#flash swap:innerHTML',
          'hx-status:5xx:inherited': 'target:#flash swap:innerHTML',
        }}
      >
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            openRuntime
          </a>
          <nav aria-label="Main">
            <a href="/">Dashboard</a>
            <a href="/swagger">API</a>
          </nav>
          <button type="button" id="notify-enable" hidden>
            Enable notifications
          </button>
        </header>
        <div id="flash" class="flash-area" aria-live="polite"></div>
        <main id="main" tabindex="-1">
          {children}
        </main>
      </body>
    ),
  })
}
