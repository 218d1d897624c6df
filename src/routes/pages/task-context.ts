import type { TaskView } from '../../domain'
import type { Runtime } from '../../runtime'
import type { EventsEmbed } from '../../tasks/views'
import { type AllowedActions, allowedActions } from '../../views/actions'
import { TaskDetails } from '../../views/task-details'
import { TaskSummary } from '../../views/task-summary'

export interface TaskContext {
  task: TaskView
  actions: AllowedActions
}

/** A task with the actions its lifecycle actor accepts right now. */
export function taskContext(runtime: Runtime, id: string, embed: EventsEmbed): TaskContext {
  const task = runtime.tasks.view(id, embed)
  return { task, actions: allowedActions(task, (event) => runtime.lifecycle.can(id, event)) }
}

/**
 * The task page's changing regions as <hx-partial>s: the summary is morphed (a half-typed reply
 * survives), the details panel replaced.
 */
export function taskRegions(
  runtime: Runtime,
  id: string,
  which: { summary: boolean; details: boolean },
): string {
  const { task, actions } = taskContext(runtime, id, 'none')
  let out = ''
  if (which.summary) {
    out += `<hx-partial hx-target="#task-summary" hx-swap="outerMorph">${TaskSummary({ task, actions })}</hx-partial>`
  }
  if (which.details) {
    const details = TaskDetails({ task, approvals: runtime.tasks.approvals(id) })
    out += `<hx-partial hx-target="#task-details" hx-swap="outerHTML">${details}</hx-partial>`
  }
  return out
}
