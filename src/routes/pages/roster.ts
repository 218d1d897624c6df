import { type RosterTask, RUNNERS, TASK_STATUSES, type TaskStatus } from '../../domain'
import { Roster, type TaskFilters } from '../../views/task-list'
import type { ReadServices } from '../reads/read-services'

const LIST_LIMIT = 100

/** Filters from a query string; values the API would refuse are ignored rather than reported. */
export function parseFilters(query: Record<string, string | undefined>): TaskFilters {
  const status = TASK_STATUSES.find((value) => value === query.status)
  const runner = RUNNERS.find((value) => value === query.runner)
  const workspace = query.workspace?.trim() || undefined
  return { status, runner, workspace }
}

/** The roster's tasks: the newest first, as entries (an entry shows state and progress). */
export function rosterTasks({ tasks }: ReadServices, filters: TaskFilters): RosterTask[] {
  return tasks.roster({
    limit: LIST_LIMIT,
    status: filters.status ? [filters.status as TaskStatus] : undefined,
    workspace: filters.workspace,
    runner: filters.runner,
  })
}

/** The roster a task's pages show beside it, with that task selected. */
export async function rosterBeside(services: ReadServices, selected: string): Promise<JSX.Element> {
  const workspaces = await services.workspaces.list()
  return Roster({ tasks: rosterTasks(services, {}), filters: {}, workspaces, selected })
}
