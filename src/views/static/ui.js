// Small behaviours every page shares. The pages work without them; they only smooth the edges.
;(() => {
  // Messages in #flash can be dismissed.
  document.addEventListener('click', (event) => {
    const close = event.target.closest?.('.flash-close')
    if (close) close.closest('.flash')?.remove()
  })

  // Forms marked data-reset-on-success clear once the server accepted them (a sent reply, a dispatched task).
  document.addEventListener('htmx:after:request', (event) => {
    const form = event.target.closest?.('form[data-reset-on-success]')
    const status = event.detail?.ctx?.response?.status
    if (form && status !== undefined && status < 400) form.reset()
  })

  // While a button's or form's request is in flight, its button is disabled and busy, and says what
  // is happening if it (or its form) has a data-busy-label ("Merging…"): no frozen button, no double submit.
  const busy = new WeakMap()
  const buttonOf = (source, submitter) => {
    if (submitter) return submitter
    if (source.matches?.('button')) return source
    if (source.matches?.('form')) return source.querySelector('button[type=submit], button:not([type])')
    return null
  }
  document.addEventListener('htmx:before:request', (event) => {
    const ctx = event.detail?.ctx
    const button = ctx && buttonOf(event.target, ctx.request?.submitter)
    if (!button || button.disabled) return
    const label = button.dataset.busyLabel ?? button.form?.dataset.busyLabel
    busy.set(ctx, { button, text: button.textContent, label })
    button.disabled = true
    button.setAttribute('aria-busy', 'true')
    if (label) button.textContent = label
  })
  document.addEventListener('htmx:finally:request', (event) => {
    const state = busy.get(event.detail?.ctx)
    if (!state) return
    busy.delete(event.detail.ctx)
    const { button, text, label } = state
    // A morph that kept the button has already given it the server's attributes and text.
    if (button.getAttribute('aria-busy') !== 'true') return
    button.disabled = false
    button.removeAttribute('aria-busy')
    if (label && button.textContent === label) button.textContent = text
  })

  // A link to a page the server takes a while to build (the review of a large diff) says so while
  // the browser waits for it; a page restored from the back-forward cache gets its link back.
  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[data-busy-label]')
    if (!link || event.defaultPrevented || event.button !== 0) return
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return
    link.dataset.idleText = link.textContent
    link.setAttribute('aria-busy', 'true')
    link.textContent = link.dataset.busyLabel
  })
  window.addEventListener('pageshow', () => {
    for (const link of document.querySelectorAll('a[aria-busy="true"][data-idle-text]')) {
      link.removeAttribute('aria-busy')
      link.textContent = link.dataset.idleText
    }
  })
})()
