import type { TaskReads } from '../../tasks/task-reads'
import { taskPage } from '../../views/task-page'
import { TIMELINE_PAGE } from '../../views/timeline'
import { visibleText } from '../../views/visible'
import { nextTurn } from '../pages/next-turn'
import { HTML } from '../pages/respond'
import { rosterBeside } from '../pages/roster'
import { taskContext } from '../pages/task-context'
import { encodeCursor } from '../pagination'
import { JSON_TYPE } from '../unchecked-json'
import type { ReadServices } from './read-services'

/** A page of the task list as GET /tasks asks for it. */
export type TaskListQuestion = {
  kind: 'task-list'
  query: Parameters<TaskReads['pageJson']>[0]
  embed: Parameters<TaskReads['pageJson']>[1]
}

/** What a read route asks: the same question whether the loop or the pages' thread answers it. */
export type ReadQuestion = { kind: 'task-page'; id: string } | TaskListQuestion

/**
 * A read route's whole answer, ready to send: the body and its headers. The pages' thread hands
 * its body over as UTF-8 bytes, moved rather than copied; the loop's JSON stays in the pieces it
 * was built from.
 */
export interface ReadAnswer {
  body: string | Uint8Array | Blob
  headers: Record<string, string>
}

/** The answer as the route sends it. */
export const answerResponse = ({ body, headers }: ReadAnswer): Response =>
  new Response(body as BodyInit, { headers })

export function answer(services: ReadServices, question: ReadQuestion): Promise<ReadAnswer> {
  return question.kind === 'task-page'
    ? taskPageAnswer(services, question.id)
    : Promise.resolve(taskListAnswer(services, question))
}

/**
 * The page of tasks as JSON, and where the next one starts (in `x-next-cursor` and a `Link`
 * header) when there is one. Sent as the views built it, unchecked (see routes/unchecked-json.ts).
 */
function taskListAnswer(services: ReadServices, { query, embed }: TaskListQuestion): ReadAnswer {
  const page = services.tasks.pageJson(query, embed)
  const headers: Record<string, string> = { 'content-type': JSON_TYPE }
  if (page.next) {
    const cursor = encodeCursor(page.next)
    headers['x-next-cursor'] = cursor
    headers.link = `</tasks?cursor=${cursor}&limit=${query.limit}>; rel="next"`
  }
  return { body: page.json, headers }
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
