import { Elysia } from 'elysia'
import type { MergeStrategy } from '../../git'
import type { Runtime } from '../../runtime'
import { Flash } from '../../views/flash'
import { ReviewBody } from '../../views/review-page'
import { type FormFields, field, guarded, html } from './respond'
import { diffLayout } from './review-pages'
import { taskContext, taskRegions } from './task-context'

/**
 * What an action's answer refreshes besides the message: the review page re-renders its body
 * (the diff changes after a merge or cleanup), the task page its summary and details. htmx names
 * the page a request came from in HX-Current-URL.
 */
async function refreshed(runtime: Runtime, id: string, currentUrl: string | undefined): Promise<string> {
  const page = currentUrl ? new URL(currentUrl, 'http://localhost') : null
  if (page?.pathname.endsWith('/review')) {
    const { task, actions } = taskContext(runtime, id, 'none')
    const diff = await runtime.review.diff(runtime.tasks.get(id))
    const body = ReviewBody({
      task,
      diff,
      layout: diffLayout(page.searchParams.get('layout')),
      actions,
    }) as string
    return `<hx-partial hx-target="#review" hx-swap="outerHTML">${body}</hx-partial>`
  }
  return taskRegions(runtime, id, { summary: true, details: true })
}

type Action = (id: string, form: FormFields) => Promise<string>

/** Each action: do it through the core, then answer with a message and the refreshed page region. */
export function taskActionRoutes(runtime: Runtime) {
  const { tasks, review } = runtime
  const actions: Record<string, Action> = {
    start: async (id) => {
      const task = await tasks.start(id)
      return task.status === 'needs-input'
        ? 'Waiting for your approval before it runs.'
        : 'Started: it runs as soon as a runner slot is free.'
    },
    approve: async (id) => {
      await tasks.approve(id, { start: true })
      return 'Approved: it runs as soon as a runner slot is free.'
    },
    stop: async (id) => {
      await tasks.stop(id)
      return 'Stopped.'
    },
    reply: async (id, form) => {
      const before = tasks.get(id).status
      const after = await tasks.reply(id, field(form, 'message'))
      return after.status === 'queued' && before !== 'queued'
        ? 'Sent: the agent continues its session in a new run.'
        : 'Sent.'
    },
    merge: async (id, form) => {
      const strategy: MergeStrategy = field(form, 'strategy') === 'commit' ? 'commit' : 'apply'
      const result = await review.merge(tasks.get(id), { strategy })
      return `Merged: ${result.message}.`
    },
    cleanup: async (id, form) => {
      const result = await review.cleanup(tasks.get(id), field(form, 'force') === 'true')
      return result.message
    },
    restore: async (id) => {
      await review.restore(tasks.get(id))
      return 'Worktree restored from its archive.'
    },
  }

  const answer = (message: string, id: string, currentUrl: string | undefined) =>
    refreshed(runtime, id, currentUrl).then((regions) =>
      html((Flash({ kind: 'ok', message }) as string) + regions),
    )

  return new Elysia({ name: 'task-action-routes', detail: { hide: true } })
    .post('/ui/tasks/:id/approvals/:approval', ({ params, body, headers }) =>
      guarded(() => {
        const form = (body ?? {}) as FormFields
        const allow = field(form, 'allow') === 'true'
        const message = field(form, 'message').trim() || undefined
        const approval = tasks.answerApproval(params.id, params.approval, { allow, message })
        return answer(
          `${allow ? 'Allowed' : 'Denied'}: ${approval.tool}.`,
          params.id,
          headers['hx-current-url'],
        )
      }),
    )
    .post('/ui/tasks/:id/:action', ({ params, body, headers }) =>
      guarded(async () => {
        const form = (body ?? {}) as FormFields
        if (params.action === 'delete') {
          await tasks.delete(params.id, field(form, 'force') === 'true')
          return html('', 200, { 'hx-redirect': '/' })
        }
        const action = actions[params.action]
        if (!action)
          return html(Flash({ kind: 'error', message: `no action "${params.action}"` }) as string, 404)
        return answer(await action(params.id, form), params.id, headers['hx-current-url'])
      }),
    )
}
