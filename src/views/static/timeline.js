// Keeps the live timeline readable: it follows the newest event unless the user scrolled up,
// keeps the reading position when older events are loaded above, and bounds how many rows the
// page holds (the oldest leave and can be loaded again), so a fast run never slows the tab down.
// A row that belongs in a card (a tool's result, an approval's decision) is moved into that card
// when both are in the page, whichever arrived first (streamed later, or paged in from older history).
;(() => {
  const timeline = document.getElementById('timeline')
  const jump = document.getElementById('jump-latest')
  if (!timeline || !jump) return
  const MAX_ROWS = 3000
  const KEEP_ROWS = 2000
  const taskId = document.getElementById('task-summary')?.dataset.taskId
  const panel = timeline.closest('.timeline-panel') ?? document

  const nearBottom = () => timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 48
  const toBottom = () => {
    timeline.scrollTop = timeline.scrollHeight
  }
  let follow = true
  let restoreFromBottom = null

  toBottom()
  timeline.addEventListener('scroll', () => {
    follow = nearBottom()
    if (follow) jump.hidden = true
  })
  jump.addEventListener('click', () => {
    follow = true
    jump.hidden = true
    toBottom()
    timeline.focus()
  })

  // Loading older events replaces the first row: remember the distance from the bottom, which must not change.
  timeline.addEventListener(
    'click',
    (event) => {
      if (event.target.closest?.('#older-events button')) {
        restoreFromBottom = timeline.scrollHeight - timeline.scrollTop
      }
    },
    true,
  )

  // Keys are the CLI's ids: always matched through CSS.escape, and parts are moved, never parsed.
  const byKey = (attribute, key) => panel.querySelectorAll(`li[${attribute}="${CSS.escape(key)}"]`)

  function fill(card, row) {
    for (const part of row.querySelectorAll('[data-fill]')) {
      const slot = card.querySelector(`[data-slot="${CSS.escape(part.dataset.fill)}"]`)
      if (slot) slot.replaceChildren(...part.childNodes)
    }
    if (row.dataset.state) card.dataset.state = row.dataset.state
    row.remove()
  }

  function attach(nodes) {
    for (const node of nodes) {
      if (node.nodeType !== Node.ELEMENT_NODE || !node.isConnected) continue
      if (node.dataset.attach) {
        const [card] = byKey('data-card', node.dataset.attach)
        if (card) fill(card, node)
      } else if (node.dataset.card) {
        for (const row of byKey('data-attach', node.dataset.card)) fill(node, row)
      }
    }
  }

  // The approve/deny keys belong to the first approval still waiting, wherever the stream put it.
  const SHORTCUTS = [
    ['.approval-allow', 'a', 'Allow the waiting tool use'],
    ['.approval-deny', 'd', 'Deny the waiting tool use'],
  ]
  function markShortcuts() {
    const first = panel.querySelector('[data-state="pending"] .approval-form')
    for (const button of panel.querySelectorAll('.approval-form button[data-shortcut]')) {
      if (first?.contains(button)) continue
      button.removeAttribute('data-shortcut')
      button.removeAttribute('data-shortcut-label')
    }
    if (!first) return
    for (const [selector, key, label] of SHORTCUTS) {
      const button = first.querySelector(selector)
      button?.setAttribute('data-shortcut', key)
      button?.setAttribute('data-shortcut-label', label)
    }
  }

  function trim() {
    const rows = timeline.querySelectorAll(':scope > li[data-seq]')
    if (rows.length <= MAX_ROWS || !taskId) return
    const drop = rows.length - KEEP_ROWS
    for (let i = 0; i < drop; i++) rows[i].remove()
    const first = rows[drop].dataset.seq
    const older = document.getElementById('older-events')
    older.innerHTML = ''
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = 'Load older events'
    button.setAttribute('hx-get', `/ui/tasks/${taskId}/events?before=${first}`)
    button.setAttribute('hx-target', '#older-events')
    button.setAttribute('hx-swap', 'outerHTML')
    older.append(button)
    htmx.process(older)
  }

  attach(timeline.querySelectorAll(':scope > li[data-card], :scope > li[data-attach]'))
  markShortcuts()

  new MutationObserver((records) => {
    for (const record of records) attach(record.addedNodes)
    markShortcuts()
    const olderLoaded = records.some((record) =>
      [...record.removedNodes].some((node) => node.id === 'older-events'),
    )
    if (olderLoaded && restoreFromBottom !== null) {
      timeline.scrollTop = timeline.scrollHeight - restoreFromBottom
      restoreFromBottom = null
    } else if (follow) {
      trim()
      toBottom()
    } else {
      jump.hidden = false
    }
  }).observe(timeline, { childList: true })
})()
