// Syntax colours for the server-rendered diff (diff2html's UI over the escaped markup), again
// whenever a merge or cleanup re-renders the review; on a phone, the diff unified.
;(() => {
  // A phone has no room for two columns: unless the user chose a layout, show the diff unified.
  const url = new URL(location.href)
  if (!url.searchParams.has('layout') && matchMedia('(max-width: 720px)').matches) {
    url.searchParams.set('layout', 'line-by-line')
    location.replace(url)
    return
  }

  function highlight() {
    const diff = document.getElementById('diff')
    if (!diff || diff.dataset.highlighted || typeof Diff2HtmlUI === 'undefined') return
    diff.dataset.highlighted = 'true'
    const ui = new Diff2HtmlUI(diff, undefined, {
      highlight: true,
      fileListToggle: false,
      fileContentToggle: true,
      synchronisedScroll: true,
      stickyFileHeaders: true,
    })
    ui.draw()
  }
  highlight()
  new MutationObserver(highlight).observe(document.body, { childList: true, subtree: true })
})()
