// Tells the user when a task needs them: it waits for input or an approval, is ready for review,
// or failed. The tab title counts the tasks that came to need the user since they last looked at
// the page; once allowed, a desktop notification links to the task; the task's roster entry gets
// a `data-attention` marker until the user opens it. Status changes arrive as `status` events
// from the page's SSE streams (htmx dispatches named SSE events as DOM events).
;(() => {
  const LABELS = { 'needs-input': 'Needs input', 'ready-for-review': 'Ready for review', failed: 'Failed' }
  const MARKERS = { 'needs-input': 'input', 'ready-for-review': 'review', failed: 'failed' }
  const ROSTER_ITEMS = '#roster .roster-item[data-task-id]'
  /** Markers outlive a page load: moving to another task must not lose them. */
  const MARKED_KEY = 'openruntime:attention'
  const baseTitle = document.title
  const known = new Map()
  /** Tasks that came to need the user since they last looked at the tab, by id, oldest first. */
  const unseen = new Map()
  const marked = new Map(Object.entries(readMarked()))

  function readMarked() {
    try {
      return JSON.parse(sessionStorage.getItem(MARKED_KEY) || '{}')
    } catch {
      return {}
    }
  }

  // What the page showed when it loaded is not news.
  for (const element of document.querySelectorAll('[data-task-id][data-task-status]')) {
    known.set(element.dataset.taskId, element.dataset.taskStatus)
  }

  const notifications = () => 'Notification' in window
  // An approval: the gate before a run starts, or a live run's tool call waiting for an answer.
  const isApproval = (change) => change.state === 'needs-input.approval' || change.approval === true
  const labelOf = (change) => (isApproval(change) ? 'Needs approval' : LABELS[change.status])
  const markerOf = (change) => (isApproval(change) ? 'approval' : MARKERS[change.status])
  const openTaskId = () =>
    document.querySelector('#task-pane[data-task-id], #task-summary[data-task-id]')?.dataset.taskId
  const looking = () => !document.hidden && document.hasFocus()

  function showTitle() {
    const latest = [...unseen.values()].at(-1)
    document.title = latest ? `(${unseen.size}) ${latest.label}: ${latest.title} · openRuntime` : baseTitle
  }

  function paintRoster() {
    const open = openTaskId()
    if (open !== undefined) marked.delete(open)
    for (const item of document.querySelectorAll(ROSTER_ITEMS)) {
      const marker = marked.get(item.dataset.taskId)
      if (marker) item.dataset.attention = marker
      else delete item.dataset.attention
    }
    sessionStorage.setItem(MARKED_KEY, JSON.stringify(Object.fromEntries(marked)))
  }

  function notify(change, label) {
    if (!notifications() || Notification.permission !== 'granted') return
    const note = new Notification(`${label}: ${change.title}`, {
      body: 'openRuntime task',
      tag: `${change.task_id}:${change.status}`,
    })
    note.onclick = () => {
      window.focus()
      note.close?.()
      location.href = `/tasks/${encodeURIComponent(change.task_id)}/view`
    }
  }

  document.addEventListener('status', (event) => {
    let change
    try {
      change = JSON.parse(event.detail.data)
    } catch {
      return
    }
    if (typeof change?.task_id !== 'string' || typeof change.status !== 'string') return
    const before = known.get(change.task_id)
    known.set(change.task_id, change.status)
    if (before === change.status) return
    const label = labelOf(change)
    if (label) {
      // Re-inserted, so the newest news names the title.
      unseen.delete(change.task_id)
      unseen.set(change.task_id, { label, title: String(change.title ?? '') })
      if (change.task_id !== openTaskId() || !looking()) marked.set(change.task_id, markerOf(change))
      notify(change, label)
    } else {
      // Answered or restarted elsewhere: it no longer needs the user.
      unseen.delete(change.task_id)
      marked.delete(change.task_id)
    }
    showTitle()
    paintRoster()
  })

  // The roster is re-rendered as tasks change: put the markers back on its new entries.
  document.addEventListener('htmx:after:swap', () => {
    if (marked.size > 0 || document.querySelector(`${ROSTER_ITEMS}[data-attention]`)) paintRoster()
  })

  // Coming back to the tab counts as having seen the news.
  const seen = () => {
    if (document.hidden || unseen.size === 0) return
    unseen.clear()
    showTitle()
  }
  document.addEventListener('visibilitychange', seen)
  window.addEventListener('focus', seen)

  // Asking needs a user gesture, hence a button rather than a prompt on load.
  const button = document.getElementById('notify-enable')
  if (button && notifications() && Notification.permission === 'default') {
    button.hidden = false
    button.addEventListener('click', async () => {
      await Notification.requestPermission()
      button.hidden = Notification.permission !== 'default'
    })
  }
  paintRoster()
})()
