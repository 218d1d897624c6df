import { taskPage } from '../../views/task-page'
import { TIMELINE_PAGE } from '../../views/timeline'
import { visibleText } from '../../views/visible'
import { nextTurn } from '../pages/next-turn'
import { HTML } from '../pages/respond'
import { rosterBeside } from '../pages/roster'
import { taskContext } from '../pages/task-context'
import type { ReadServices } from './read-services'

/** What a read route asks: the same question whether the loop or the pages' thread answers it. */
export type ReadQuestion = { kind: 'task-page'; id: string }

/**
 * A read route's whole answer, ready to send: the body and its headers. The pages' thread hands
 * its body over as UTF-8 bytes, moved rather than copied.
 */
export interface ReadAnswer {
  body: string | Uint8Array
  headers: Record<string, string>
}

/** The answer as the route sends it. */
export const answerResponse = ({ body, headers }: ReadAnswer): Response =>
  new Response(body as BodyInit, { headers })

export function answer(services: ReadServices, question: ReadQuestion): Promise<ReadAnswer> {
  return taskPageAnswer(services, question.id)
}

/**
 * The task page, built in three turns of the loop (the task, the roster, the render): a request
 * arriving meanwhile waits for one part of it, not for the whole page.
 */
async function taskPageAnswer(services: ReadServices, id: string): Promise<ReadAnswer> {
  const { task, actions } = taskContext(services, id, TIMELINE_PAGE)
  await nextTurn()
  const roster = await rosterBeside(services, id)
  await nextTurn()
  const page = taskPage({ task, actions, approvals: services.tasks.approvals(id), roster })
  return { body: visibleText(page), headers: { 'content-type': HTML } }
}
