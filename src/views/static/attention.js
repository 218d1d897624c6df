// Tells the user when a task needs them (input, approval, or review): the tab title changes and,
// once the user allowed it, a desktop notification appears. Status changes arrive as `status`
// events from the page's SSE stream (htmx dispatches named SSE events as DOM events).
;(() => {
  const LABELS = { 'needs-input': 'Needs input', 'ready-for-review': 'Ready for review' }
  const baseTitle = document.title
  const known = new Map()
  let unseen = 0

  // What the page showed when it loaded is not news.
  for (const element of document.querySelectorAll('[data-task-id][data-task-status]')) {
    known.set(element.dataset.taskId, element.dataset.taskStatus)
  }

  const notifications = () => 'Notification' in window

  function announce(change) {
    const label = change.state === 'needs-input.approval' ? 'Needs approval' : LABELS[change.status]
    unseen += 1
    document.title = `(${unseen}) ${label}: ${change.title} · openRuntime`
    if (notifications() && Notification.permission === 'granted') {
      const note = new Notification(`${label}: ${change.title}`, {
        body: 'openRuntime task',
        tag: `${change.task_id}:${change.status}`,
      })
      note.onclick = () => {
        window.focus()
        location.href = `/tasks/${change.task_id}/view`
      }
    }
  }

  document.addEventListener('status', (event) => {
    let change
    try {
      change = JSON.parse(event.detail.data)
    } catch {
      return
    }
    const before = known.get(change.task_id)
    known.set(change.task_id, change.status)
    if (before !== change.status && LABELS[change.status]) announce(change)
  })

  // Coming back to the tab counts as having seen the news.
  const seen = () => {
    if (document.hidden || unseen === 0) return
    unseen = 0
    document.title = baseTitle
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
})()
