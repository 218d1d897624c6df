import { Elysia } from 'elysia'
import type { TaskEvent } from '../../domain'
import { seqParam } from '../../events/live-stream'
import { eventRows } from '../../views/event-row'
import { olderPage, TIMELINE_PAGE } from '../../views/timeline'
import { visibleText } from '../../views/visible'
import { answerResponse } from '../reads/answers'
import type { Reader } from '../reads/reader'
import { TaskParams } from '../schemas'
import type { Services } from '../services'
import { OlderEventsQuery, TimelineQuery } from './forms'
import { htmlFrame, namedFrame, SSE_HEADERS, timelineHtmlStream } from './html-stream'
import { PAGES } from './paths'
import { html } from './respond'
import { taskContext, taskRegions } from './task-context'

const DETAIL_AGENT_TYPES = new Set([
  'usage',
  'approval_request',
  'tool_result',
  'permission_denied',
  'notice',
])

/** Batches that change what the side panel shows: state, attempts, usage, approvals. */
const changesDetails = (events: TaskEvent[]) =>
  events.some(
    (event) =>
      event.kind === 'lifecycle' ||
      (event.metadata?.category === 'agent' && DETAIL_AGENT_TYPES.has(String(event.metadata.type))),
  )

/** The task page, its older history on demand, and its live timeline as HTML over SSE. */
export function taskPageRoutes(services: Services, reads: Reader) {
  const { tasks, timeline } = services
  return new Elysia({ name: 'task-page-routes', detail: { hide: true } })
    .get(
      PAGES.task,
      async ({ params }) => answerResponse(await reads.answer({ kind: 'task-page', id: params.id })),
      { params: TaskParams },
    )
    .get(
      '/ui/tasks/:id/events',
      ({ params, query }) => {
        const before = seqParam(query.before, 'before') ?? tasks.view(params.id, 'none').last_seq + 1
        // Seqs run 1, 2, 3… without gaps, so the page before `before` starts at a known seq.
        const after = Math.max(0, before - 1 - TIMELINE_PAGE)
        const events = tasks.events(params.id, after, Math.max(0, before - 1 - after))
        return html(olderPage(params.id, events, () => tasks.approvals(params.id)))
      },
      { params: TaskParams, query: OlderEventsQuery },
    )
    .get(
      '/ui/tasks/:id/stream',
      ({ params, query, headers }) => {
        const id = params.id
        tasks.get(id)
        const after =
          seqParam(headers['last-event-id'], 'Last-Event-ID') ?? seqParam(query.after, 'after') ?? 0
        const stream = timelineHtmlStream(
          timeline.source(id),
          {
            events: (events) =>
              eventRows(events, { approvals: () => tasks.approvals(id) }) +
              (changesDetails(events) ? taskRegions(services, id, { summary: false, details: true }) : ''),
            status: () => {
              const { task } = taskContext(services, id, 'none')
              return (
                htmlFrame(taskRegions(services, id, { summary: true, details: true })) +
                namedFrame('status', {
                  task_id: id,
                  status: task.status,
                  state: task.state,
                  // Shown as the tab title and in notifications: plain text, controls made visible.
                  title: visibleText(task.title),
                })
              )
            },
          },
          { after },
        )
        return new Response(stream, { headers: SSE_HEADERS })
      },
      { params: TaskParams, query: TimelineQuery },
    )
}
