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
})()
