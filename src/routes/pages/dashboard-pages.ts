import { Elysia } from 'elysia'
import { listPresets } from '../../policy'
import { dashboardPage } from '../../views/dashboard'
import { Flash } from '../../views/flash'
import { RosterGroups, type TaskFilters } from '../../views/task-list'
import { visibleText } from '../../views/visible'
import { httpFailure } from '../errors'
import type { Services } from '../services'
import { dispatchInput } from './dispatch'
import { DispatchForm, TaskFiltersQuery } from './forms'
import { SSE_HEADERS, statusEventStream } from './html-stream'
import { PAGES } from './paths'
import { html } from './respond'
import { isFiltered, parseFilters, rosterTasks } from './roster'

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
        const created = await tasks.create(dispatchInput(body ?? {}, listPresets()))
        const link = { href: `/tasks/${created.id}/view`, label: 'Open it' }
        const changed = { 'hx-trigger': 'tasks-changed' }
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
    .get(
      '/ui/events',
      () =>
        new Response(
          statusEventStream(
            (listener) => timeline.onStatus(listener),
            (change) => {
              try {
                const { title } = tasks.get(change.task_id)
                // Shown as the tab title and in notifications: plain text, controls made visible.
                return {
                  task_id: change.task_id,
                  status: change.status,
                  state: change.state,
                  title: visibleText(title),
                }
              } catch {
                return null // deleted since
              }
            },
          ),
          { headers: SSE_HEADERS },
        ),
    )
}
