// Syntax colours for the server-rendered diff (diff2html's UI over the escaped markup), again
// whenever a merge or cleanup re-renders the review.
;(() => {
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
