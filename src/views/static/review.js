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

  // A click on a line number of the diff picks that line for a new comment (file, side, line).
  document.addEventListener('click', (event) => {
    const cell =
      event.target instanceof Element
        ? event.target.closest('.d2h-code-linenumber, .d2h-code-side-linenumber')
        : null
    const form = document.getElementById('comment-form')
    if (!cell || !form) return
    const wrapper = cell.closest('.d2h-file-wrapper')
    const name = (wrapper?.querySelector('.d2h-file-name')?.textContent ?? '').split('→').pop().trim()
    let side = 'new'
    let line = ''
    if (cell.classList.contains('d2h-code-side-linenumber')) {
      const sides = [...(wrapper?.querySelectorAll('.d2h-file-side-diff') ?? [])]
      side = sides.indexOf(cell.closest('.d2h-file-side-diff')) === 0 ? 'old' : 'new'
      line = cell.textContent.trim()
    } else {
      const fresh = cell.querySelector('.line-num2')?.textContent.trim() ?? ''
      side = fresh ? 'new' : 'old'
      line = fresh || (cell.querySelector('.line-num1')?.textContent.trim() ?? '')
    }
    const path = document.getElementById('comment-path')
    if (!line || !path || ![...path.options].some((option) => option.value === name)) return
    path.value = name
    document.getElementById('comment-side').value = side
    document.getElementById('comment-line').value = line
    document.getElementById('comment-body').focus()
  })
})()
