import type { Children } from '@kitajs/html'
import { htmlDocument } from './html-document'

export interface LayoutProps {
  title: string
  /** Page scripts from /assets, loaded after htmx. */
  scripts?: string[]
  /**
   * The mission-control frame: the roster on the left, the page's content in the middle, the
   * inspector on the right. A page without them (a failure page) is the content alone.
   */
  roster?: JSX.Element
  inspector?: JSX.Element
  /** A task is selected: on a phone the frame shows it instead of the roster (which is one link away). */
  selected?: boolean
  children: Children
}

/**
 * The page shell. Every request error (4xx/5xx) is routed into #flash: htmx 4 swaps error bodies,
 * and the page routes answer them with readable HTML.
 */
export function Layout({
  title,
  scripts = [],
  roster,
  inspector,
  selected = false,
  children,
}: LayoutProps): string {
  const main = (
    <main id="main" tabindex="-1">
      {children}
    </main>
  )
  return htmlDocument({
    title: `${title} · openRuntime`,
    head: (
      <>
        <link rel="icon" href="data:," />
        {/* Before app.css, which holds diff2html's colours to AA contrast: the review draws diffs, and so
        does every task page (an edit's inline diff in the conversation). */}
        <link rel="stylesheet" href="/assets/diff2html.min.css" />
        <link rel="stylesheet" href="/assets/app.css" />
        <link rel="stylesheet" href="/assets/live.css" />
        <link rel="stylesheet" href="/assets/conversation.css" />
        {/* Not deferred: htmx starts at DOMContentLoaded only if it loads while the document is still
        parsing; deferred, it could start before its SSE extension registered and miss hx-sse:connect. */}
        <script src="/assets/htmx.min.js"></script>
        <script src="/assets/hx-sse.min.js"></script>
        <script src="/assets/attention.js" defer></script>
        <script src="/assets/ui.js" defer></script>
        <script src="/assets/live.js" defer></script>
        <script src="/assets/keys.js" defer></script>
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
          <a
            class="button primary new-task"
            href="/#composer"
            data-shortcut="n"
            data-shortcut-label="New task"
          >
            New task
          </a>
          <nav aria-label="Main">
            <a href="/runner-hosts/view">Runner hosts</a>
            <a href="/swagger">API</a>
          </nav>
          <button type="button" id="notify-enable" hidden>
            Enable notifications
          </button>
        </header>
        <div id="connection-status" role="status" aria-live="polite" hidden></div>
        <div id="flash" class="flash-area" aria-live="polite"></div>
        {roster || inspector ? (
          <div class={selected ? 'frame frame-selected' : 'frame'}>
            {roster ?? ''}
            {main}
            {inspector ?? ''}
          </div>
        ) : (
          main
        )}
      </body>
    ),
  })
}
