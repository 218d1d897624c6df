// Keyboard shortcuts. Keys that act on the page activate the element that declares them
// (`data-shortcut="KEY"`: buttons and links are clicked, fields focused; `data-shortcut-label`
// names it in the help), so a page offers exactly the shortcuts it has controls for. Nothing fires
// while the focus is in a text field or with Ctrl/Meta/Alt held; a click keeps its hx-confirm.
;(() => {
  const ROSTER_ITEMS = '#roster .roster-item'
  const FIELDS = 'input, textarea, select, [contenteditable]:not([contenteditable="false"])'
  /** Set before a j/k navigation, so the next page puts the focus back on the roster. */
  const REFOCUS_ROSTER = 'openruntime:refocus-roster'

  /** Every shortcut, in the order the help lists them. `fallback`: where to look when no element declares the key. */
  const SHORTCUTS = [
    { keys: ['j'], label: 'Next task' },
    { keys: ['k'], label: 'Previous task' },
    { keys: ['Enter', 'o'], label: 'Open the focused task' },
    { keys: ['a'], label: 'Allow the first pending tool call' },
    { keys: ['d'], label: 'Deny the first pending tool call' },
    {
      keys: ['r'],
      label: 'Reply',
      fallback: '#reply-box textarea, #reply-box input:not([type=hidden]), #reply-message',
    },
    { keys: ['s'], label: 'Stop the run' },
    { keys: ['m'], label: 'Merge the changes' },
    { keys: ['v'], label: 'Review the changes' },
    { keys: ['n'], label: 'New task' },
    { keys: ['Escape'], label: 'Leave a text field, close this help' },
    { keys: ['?'], label: 'Show these shortcuts' },
  ]
  const ELEMENT_KEYS = new Set(['a', 'd', 'r', 's', 'm', 'v', 'n'])

  const visible = (element) =>
    element.checkVisibility ? element.checkVisibility() : element.getClientRects().length > 0
  const usable = (element) => visible(element) && !element.disabled && !element.closest('[inert]')
  const isField = (element) => Boolean(element?.matches?.(FIELDS))

  function declared(key) {
    const candidates = document.querySelectorAll(`[data-shortcut="${CSS.escape(key)}"]`)
    const found = [...candidates].find(usable)
    if (found) return found
    const fallback = SHORTCUTS.find((shortcut) => shortcut.keys.includes(key))?.fallback
    return fallback ? [...document.querySelectorAll(fallback)].find(usable) : undefined
  }

  function activate(element) {
    if (isField(element)) element.focus()
    else element.click()
  }

  const rosterItems = () => [...document.querySelectorAll(ROSTER_ITEMS)].filter(visible)

  /** j/k: the entry after (or before) the focused one, else the selected one; it is focused and opened. */
  function step(delta) {
    const items = rosterItems()
    if (items.length === 0) return false
    const active = document.activeElement?.closest?.(ROSTER_ITEMS)
    let index = items.indexOf(active)
    if (index < 0) index = items.findIndex((item) => item.getAttribute('aria-current') === 'page')
    const next = index < 0 ? (delta > 0 ? 0 : items.length - 1) : index + delta
    const target = items[Math.max(0, Math.min(items.length - 1, next))]
    target.focus()
    if (target.getAttribute('aria-current') !== 'page') {
      sessionStorage.setItem(REFOCUS_ROSTER, '1')
      target.click()
    }
    return true
  }

  function open(viaEnter) {
    const item = document.activeElement?.closest?.(ROSTER_ITEMS)
    // Enter on a link or button already activates it.
    if (!item || (viaEnter && document.activeElement.matches('a[href], button'))) return false
    item.click()
    return true
  }

  let dialog

  function helpRows() {
    const labelled = new Map()
    for (const element of document.querySelectorAll('[data-shortcut][data-shortcut-label]')) {
      const key = element.dataset.shortcut
      if (!labelled.has(key) && usable(element)) labelled.set(key, element.dataset.shortcutLabel)
    }
    const rows = SHORTCUTS.map((shortcut) => {
      const [key] = shortcut.keys
      const available = !ELEMENT_KEYS.has(key) || declared(key) !== undefined
      return { keys: shortcut.keys, label: labelled.get(key) ?? shortcut.label, available }
    })
    const known = new Set(SHORTCUTS.flatMap((shortcut) => shortcut.keys))
    for (const [key, label] of labelled)
      if (!known.has(key)) rows.push({ keys: [key], label, available: true })
    return rows
  }

  function showHelp() {
    if (!dialog) {
      dialog = document.createElement('dialog')
      dialog.id = 'shortcut-help'
      dialog.className = 'shortcut-help'
      dialog.setAttribute('aria-labelledby', 'shortcut-help-h')
      document.body.append(dialog)
    }
    const heading = document.createElement('h2')
    heading.id = 'shortcut-help-h'
    heading.textContent = 'Keyboard shortcuts'
    const list = document.createElement('dl')
    for (const row of helpRows()) {
      const term = document.createElement('dt')
      row.keys.forEach((key, i) => {
        if (i > 0) term.append(' or ')
        const kbd = document.createElement('kbd')
        kbd.textContent = key
        term.append(kbd)
      })
      const description = document.createElement('dd')
      description.textContent = row.available ? row.label : `${row.label} (not on this page)`
      if (!row.available) description.className = 'muted'
      list.append(term, description)
    }
    const form = document.createElement('form')
    form.method = 'dialog'
    const close = document.createElement('button')
    close.textContent = 'Close'
    form.append(close)
    dialog.replaceChildren(heading, list, form)
    // A modal dialog keeps the focus inside it and closes on Escape.
    dialog.showModal()
    close.focus()
  }

  function handle(event) {
    if (event.key === 'Escape' && isField(event.target)) {
      event.target.blur()
      return true
    }
    if (document.querySelector('dialog[open]')) return false
    if (event.key === '?') {
      showHelp()
      return true
    }
    if (event.key === 'j') return step(1)
    if (event.key === 'k') return step(-1)
    if (event.key === 'Enter' || event.key === 'o') return open(event.key === 'Enter')
    if (ELEMENT_KEYS.has(event.key)) {
      const element = declared(event.key)
      if (!element) return false
      activate(element)
      return true
    }
    return false
  }

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return
    const inField = isField(event.target) || event.target?.isContentEditable
    if (inField && event.key !== 'Escape') return
    if (handle(event)) event.preventDefault()
  })

  // Any control marked data-shortcut-help opens the help too (for touch and pointer users).
  document.addEventListener('click', (event) => {
    if (event.target.closest?.('[data-shortcut-help]')) showHelp()
  })

  if (sessionStorage.getItem(REFOCUS_ROSTER)) {
    sessionStorage.removeItem(REFOCUS_ROSTER)
    document.querySelector(`${ROSTER_ITEMS}[aria-current="page"]`)?.focus()
  }
})()
