// The dispatch form: show the fields the chosen runner uses, and keep the permission preset and
// the advanced policy fields in agreement (a preset fills them; editing one means "custom").
;(() => {
  const form = document.getElementById('dispatch-form')
  if (!form) return
  const runner = form.elements.namedItem('runner')
  const preset = form.elements.namedItem('preset')
  const presets = JSON.parse(preset.dataset.presets || '{}')

  function showRunnerFields() {
    const kind = runner.value === 'shell' ? 'shell' : 'agent'
    for (const field of form.querySelectorAll('[data-runner-only]'))
      field.hidden = field.dataset.runnerOnly !== kind
  }

  function fillPolicy(policy) {
    for (const input of form.querySelectorAll('[data-policy-field]')) {
      const value = policy[input.name]
      if (input.type === 'radio') input.checked = input.value === value
      else if (input.type === 'checkbox') input.checked = value === true
      else if (Array.isArray(value)) input.value = value.join('\n')
      else input.value = value ?? ''
    }
  }

  runner.addEventListener('change', showRunnerFields)
  preset.addEventListener('change', () => {
    const policy = presets[preset.value]
    if (policy && preset.value !== 'custom') fillPolicy(policy)
  })
  form.addEventListener('input', (event) => {
    if (event.target.matches?.('[data-policy-field]')) preset.value = 'custom'
  })
  // A reset (after a successful dispatch) restores the defaults; the visible fields must follow.
  form.addEventListener('reset', () => setTimeout(showRunnerFields))
  showRunnerFields()

  // "New task" (the header link, or its `n` shortcut) lands on #composer: start typing the goal or command.
  function focusComposer() {
    if (location.hash !== '#composer') return
    const first = form.querySelector('[data-runner-only]:not([hidden]) textarea')
    first?.focus()
  }
  window.addEventListener('hashchange', focusComposer)
  document.addEventListener('click', (event) => {
    // Already at #composer, following the link again changes no hash: focus anyway.
    if (event.target.closest?.('a[href="/#composer"]') && location.hash === '#composer') {
      event.preventDefault()
      focusComposer()
    }
  })
  // After load: the browser's own move to the #composer fragment would otherwise take the focus back.
  window.addEventListener('load', focusComposer)
})()
