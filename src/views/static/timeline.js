// Keeps the live timeline readable: it follows the newest event unless the user scrolled up,
// keeps the reading position when older events are loaded above, and bounds how many rows the
// page holds (the oldest leave and can be loaded again), so a fast run never slows the tab down.
;(() => {
  const timeline = document.getElementById('timeline')
  const jump = document.getElementById('jump-latest')
  if (!timeline || !jump) return
  const MAX_ROWS = 3000
  const KEEP_ROWS = 2000
  const taskId = document.getElementById('task-summary')?.dataset.taskId

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

  new MutationObserver((records) => {
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
