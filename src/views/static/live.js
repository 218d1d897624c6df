// Says when the page is not live: while any of its server-sent event streams is down, the
// #connection-status banner reads "Offline — reconnecting…", and "Reconnected" for a moment once
// every stream is back. htmx's SSE extension does the reconnecting and sends Last-Event-ID, so
// each stream resumes where it stopped; this script only watches its lifecycle events.
;(() => {
  const SHOW_RECONNECTED_MS = 4000
  const FIRST_RETRY_MS = 1000
  const LAST_RETRY_MS = 30_000
  /** Stream elements that lost their connection and have not got it back. */
  const down = new Set()
  let browserOffline = false
  let reported = false
  let hideTimer

  function render() {
    const status = document.getElementById('connection-status')
    if (!status) return
    clearTimeout(hideTimer)
    if (down.size > 0 || browserOffline) {
      reported = true
      status.dataset.state = 'offline'
      status.textContent = 'Offline — reconnecting…'
      status.hidden = false
    } else if (reported) {
      reported = false
      status.dataset.state = 'online'
      status.textContent = 'Reconnected'
      status.hidden = false
      hideTimer = setTimeout(() => {
        status.hidden = true
      }, SHOW_RECONNECTED_MS)
    }
  }

  const lost = (element) => {
    down.add(element)
    render()
  }
  const back = (element) => {
    if (down.delete(element)) render()
  }

  // The extension announces each reconnection attempt (attempt > 0) before waiting for it.
  document.addEventListener('htmx:sse:before:connection', (event) => {
    if (event.detail?.connection?.attempt > 0) lost(event.target)
  })
  document.addEventListener('htmx:sse:error', (event) => lost(event.target))
  document.addEventListener('htmx:sse:after:connection', (event) => back(event.target))
  // A stream whose element left the page (a pane swapped) is no longer the page's concern.
  document.addEventListener('htmx:sse:close', (event) => back(event.target))

  // A stream whose very first request failed is never retried by the extension: retry it here.
  const retries = new WeakMap()
  document.addEventListener('htmx:error', (event) => {
    const element = event.target
    const url = element?.getAttribute?.('hx-sse:connect')
    if (!url || element._htmx?.sse) return
    lost(element)
    const delay = Math.min(retries.get(element) ?? FIRST_RETRY_MS, LAST_RETRY_MS)
    retries.set(element, delay * 2)
    setTimeout(() => {
      if (element.isConnected && !element._htmx?.sse) htmx.ajax('GET', url, { source: element })
    }, delay)
  })

  window.addEventListener('offline', () => {
    browserOffline = true
    render()
  })
  window.addEventListener('online', () => {
    browserOffline = false
    render()
  })
})()
