import { Elysia } from 'elysia'
import type { TaskView } from '../../domain'
import { timestampParam } from '../../events/live-stream'
import { listPresets } from '../../policy'
import { dashboardPage } from '../../views/dashboard'
import { Flash } from '../../views/flash'
import { isFiltered, RosterGroups, type TaskFilters } from '../../views/task-list'
import { visibleText } from '../../views/visible'
import { httpFailure } from '../errors'
import type { Services } from '../services'
import { dispatchInput } from './dispatch'
import { DispatchForm, TaskFiltersQuery } from './forms'
import { SSE_HEADERS, statusEventStream } from './html-stream'
import { PAGES } from './paths'
import { html } from './respond'
import { parseFilters, rosterTasks } from './roster'

/** Mission control with nothing selected, the roster fragment behind its filters, dispatch, and the status stream it listens to. */
export function dashboardRoutes(services: Services) {
  const { tasks, timeline } = services
  const listTasks = (filters: TaskFilters) => rosterTasks(services, filters)

  return new Elysia({ name: 'dashboard-routes', detail: { hide: true } })
    .get(
      PAGES.dashboard,
      async ({ query }) => {
        const filters = parseFilters(query)
        const [workspaces, runners] = await Promise.all([services.workspaces.list(), services.runners.list()])
        return html(
          dashboardPage({ workspaces, runners, presets: listPresets(), tasks: listTasks(filters), filters }),
        )
      },
      { query: TaskFiltersQuery },
    )
    .get(
      '/ui/tasks',
      ({ query }) => {
        const filters = parseFilters(query)
        // The selected task's entry stays marked when the roster refreshes beside it.
        return html(
          RosterGroups({
            tasks: listTasks(filters),
            filtered: isFiltered(filters),
            selected: query.selected,
          }) as string,
        )
      },
      { query: TaskFiltersQuery },
    )
    .post(
      '/ui/tasks',
      async ({ body }) => {
        const input = dispatchInput(body ?? {}, listPresets())
        const changed = { 'hx-trigger': 'tasks-changed' }
        if (input.variants !== undefined) {
          const group = await services.groups.create(input)
          const link = { href: `/task-groups/${group.id}/view`, label: 'Compare them' }
          const outcomes = await services.groups.start(group.id)
          const failed = outcomes.filter((outcome) => !outcome.ok)
          const message =
            failed.length === 0
              ? `Started “${group.title}” as ${group.variants.length} variants.`
              : `Created “${group.title}” as ${group.variants.length} variants; ${failed.length} could not start: ${failed[0]?.error?.message}`
          return html(
            Flash({ kind: failed.length === 0 ? 'ok' : 'error', message, link }) as string,
            200,
            changed,
          )
        }
        const created = await tasks.create(input)
        const link = { href: `/tasks/${created.id}/view`, label: 'Open it' }
        try {
          const started = await tasks.start(created.id)
          const message =
            started.status === 'needs-input'
              ? `Created “${created.title}”: it waits for your approval.`
              : `Started “${created.title}”.`
          return html(Flash({ kind: 'ok', message, link }) as string, 200, changed)
        } catch (error) {
          // The task exists: say why it did not start, and where to find it.
          const message = `Created “${created.title}”, but it could not start: ${(error as Error).message}`
          return html(Flash({ kind: 'error', message, link }) as string, httpFailure(error).status, changed)
        }
      },
      { body: DispatchForm },
    )
    .get('/ui/events', ({ headers }) => {
      const since = timestampParam(headers['last-event-id'], 'Last-Event-ID')
      return new Response(
        statusEventStream(
          (listener) => timeline.onStatus(listener),
          (change) => {
            try {
              return statusNotice(tasks, { ...tasks.get(change.task_id), ...change })
            } catch {
              return null // deleted since
            }
          },
          () =>
            since === undefined ? [] : changedSince(tasks, since).map((task) => statusNotice(tasks, task)),
        ),
        { headers: SSE_HEADERS },
      )
    })
}

/**
 * What the roster and the attention script learn of a status change; the title is plain text,
 * controls made visible. `approval`: a live run waits for a tool approval (its state says only that
 * the process waits), which the user is told as such.
 */
function statusNotice(
  tasks: Services['tasks'],
  task: { task_id?: string; id: string; status: string; state: string; title: string },
) {
  const id = task.task_id ?? task.id
  return {
    task_id: id,
    status: task.status,
    state: task.state,
    title: visibleText(task.title),
    approval:
      task.state === 'needs-input.prompt' &&
      tasks.approvals(id).some((approval) => approval.status === 'pending'),
  }
}

/** Bounds what one reconnect replays; the roster shows fewer tasks than this anyway. */
const MISSED_LIMIT = 1000
const MISSED_PAGE = 200

/** Tasks changed at or after `since`, newest first (their current state is what a client that was away missed). */
function changedSince(tasks: Services['tasks'], since: string): TaskView[] {
  const changed: TaskView[] = []
  let after: { updated_at: string; id: string } | undefined
  while (changed.length < MISSED_LIMIT) {
    const page = tasks.list({ limit: MISSED_PAGE, after }, 'none')
    for (const task of page) {
      if (task.updated_at < since) return changed
      changed.push(task)
    }
    const last = page.at(-1)
    if (!last || page.length < MISSED_PAGE) return changed
    after = { updated_at: last.updated_at, id: last.id }
  }
  return changed
}
