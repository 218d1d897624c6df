import type { TaskView } from '../../domain'
import type { EventsEmbed } from '../../tasks/views'
import { type AllowedActions, allowedActions } from '../../views/actions'
import { TaskDetails } from '../../views/task-details'
import { TaskSummary } from '../../views/task-summary'
import { replyBoxPartial } from '../../views/timeline'
import type { ReadServices } from '../reads/read-services'

export interface TaskContext {
  task: TaskView
  actions: AllowedActions
}

/** A task with the actions its lifecycle accepts right now. */
export function taskContext({ tasks }: ReadServices, id: string, embed: EventsEmbed): TaskContext {
  const task = tasks.view(id, embed)
  return { task, actions: allowedActions(task, tasks.accepting(id)) }
}

/**
 * The task page's changing regions as <hx-partial>s: the summary is morphed (a half-typed reply
 * survives), the inspector replaced.
 */
export function taskRegions(
  services: ReadServices,
  id: string,
  which: { summary: boolean; details: boolean },
): string {
  const { task, actions } = taskContext(services, id, 'none')
  let out = ''
  if (which.summary) {
    out += `<hx-partial hx-target="#task-summary" hx-swap="outerMorph">${TaskSummary({ task, actions })}</hx-partial>`
    out += replyBoxPartial(task, actions)
  }
  if (which.details) {
    const details = TaskDetails({ task, approvals: services.tasks.approvals(id) })
    out += `<hx-partial hx-target="#inspector" hx-swap="outerHTML">${details}</hx-partial>`
  }
  return out
}
