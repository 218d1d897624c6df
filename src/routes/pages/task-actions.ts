import { Elysia } from 'elysia'
import { AppError, invalid } from '../../errors'
import type { MergeStrategy } from '../../git'
import { Flash } from '../../views/flash'
import { ReviewBody } from '../../views/review-page'
import type { Services } from '../services'
import { ActionForm, ActionParams, ApprovalForm, ApprovalParams } from './forms'
import { type FormFields, field, html } from './respond'
import { diffLayout, reviewLoop } from './review-pages'
import { taskContext, taskRegions } from './task-context'

/**
 * What an action's answer refreshes besides the message: the review page re-renders its body
 * (the diff changes after a merge or cleanup), the task page its summary and details. htmx names
 * the page a request came from in HX-Current-URL.
 */
async function refreshed(services: Services, id: string, currentUrl: string | undefined): Promise<string> {
  const page = currentUrl ? new URL(currentUrl, 'http://localhost') : null
  if (page?.pathname.endsWith('/review')) {
    const [diff, loop] = await Promise.all([
      services.review.diff(services.tasks.get(id)),
      reviewLoop(services, id),
    ])
    const { task, actions } = taskContext(services, id, 'none')
    const body = ReviewBody({
      task,
      diff,
      checks: services.checks.view(services.tasks.get(id)),
      layout: diffLayout(page.searchParams.get('layout')),
      actions,
      loop,
    }) as string
    return `<hx-partial hx-target="#review" hx-swap="outerHTML">${body}</hx-partial>`
  }
  return taskRegions(services, id, { summary: true, details: true })
}

type Action = (id: string, form: FormFields) => Promise<string>

/** Each action: do it through the core, then answer with a message and the refreshed page region. */
export function taskActionRoutes(services: Services) {
  const { tasks, review, comments, baseUpdates, publishing } = services
  const actions: Record<string, Action> = {
    comment: async (id, form) => {
      const side = field(form, 'side')
      const line = field(form, 'line').trim()
      const fileOnly = side === '' || line === ''
      const parsed = Number(line)
      if (!fileOnly && !(Number.isInteger(parsed) && parsed > 0))
        throw invalid(`line must be a line number, not ${JSON.stringify(line)}`)
      await comments.create(id, {
        path: field(form, 'path'),
        side: fileOnly ? null : side === 'old' ? 'old' : 'new',
        line: fileOnly ? null : parsed,
        body: field(form, 'body'),
      })
      return 'Comment added.'
    },
    'resolve-comment': async (id, form) => {
      comments.resolve(id, field(form, 'comment'), true)
      return 'Comment resolved.'
    },
    'reopen-comment': async (id, form) => {
      comments.resolve(id, field(form, 'comment'), false)
      return 'Comment reopened.'
    },
    'send-comments': async (id) => {
      const result = await comments.send(id)
      return `Sent ${result.sent.length} comment(s) to the agent: it continues in a new run.`
    },
    'update-base': async (id, form) => {
      const result = await baseUpdates.update(id, field(form, 'mode') === 'merge' ? 'merge' : 'rebase')
      return result.message
    },
    'abort-update': async (id) => (await baseUpdates.abort(id)).message,
    'resolve-update': async (id, form) => {
      await baseUpdates.resolveWithAgent(id, field(form, 'note'))
      return 'Asked the agent to resolve the conflict: it continues in a new run.'
    },
    push: async (id, form) => {
      const result = await publishing.push(
        id,
        field(form, 'remote').trim(),
        field(form, 'branch').trim() || undefined,
      )
      return `Pushed ${result.commit.slice(0, 12)} to ${result.remote} as ${result.branch}.`
    },
    'pull-request': async (id) => `Opened ${(await publishing.pullRequest(id, {})).url}.`,
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
      await baseUpdates.assertNoConflict(id)
      const result = await review.merge(tasks.get(id), {
        strategy,
        force: field(form, 'force') === 'true',
        reason: field(form, 'reason'),
      })
      return `Merged: ${result.message}.`
    },
    checks: async (id) => {
      services.checks.rerun(tasks.get(id))
      return 'Checks started again: their verdicts replace these when they end.'
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

  const answer = async (message: string, id: string, currentUrl: string | undefined) =>
    html((Flash({ kind: 'ok', message }) as string) + (await refreshed(services, id, currentUrl)))

  return new Elysia({ name: 'task-action-routes', detail: { hide: true } })
    .post(
      '/ui/tasks/:id/approvals/:approval',
      ({ params, body, headers }) => {
        const allow = field(body, 'allow') === 'true'
        const message = field(body, 'message').trim() || undefined
        const approval = tasks.answerApproval(params.id, params.approval, { allow, message })
        return answer(
          `${allow ? 'Allowed' : 'Denied'}: ${approval.tool}.`,
          params.id,
          headers['hx-current-url'],
        )
      },
      { params: ApprovalParams, body: ApprovalForm },
    )
    .post(
      '/ui/tasks/:id/:action',
      async ({ params, body, headers }) => {
        const form = body ?? {}
        if (params.action === 'delete') {
          await tasks.delete(params.id, field(form, 'force') === 'true')
          return html('', 200, { 'hx-redirect': '/' })
        }
        // Own keys only: `constructor` or `toString` name no action.
        const action = Object.hasOwn(actions, params.action) ? actions[params.action] : undefined
        if (!action) throw new AppError('not_found', 'action_not_found', `no action "${params.action}"`)
        return answer(await action(params.id, form), params.id, headers['hx-current-url'])
      },
      { params: ActionParams, body: ActionForm },
    )
}
