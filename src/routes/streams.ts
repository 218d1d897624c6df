import { Elysia, t } from 'elysia'
import { SSE_HEADERS, seqParam } from '../events/live-stream'
import { ErrorResponse, TaskParams } from './schemas'
import type { Services } from './services'

/** Live streams over server-sent events: one task's timeline, and every task's status changes. */
export function streamRoutes(services: Services) {
  const { tasks, timeline } = services
  return new Elysia({ name: 'stream-routes', tags: ['streams'] })
    .get(
      '/tasks/:id/stream',
      ({ params, query, headers }) => {
        tasks.get(params.id)
        const after = seqParam(headers['last-event-id'], 'Last-Event-ID') ?? query.after ?? 0
        return new Response(timeline.taskStream(params.id, after), { headers: SSE_HEADERS })
      },
      {
        params: TaskParams,
        query: t.Object({ after: t.Optional(t.Integer({ minimum: 0 })) }),
        response: { 400: ErrorResponse, 404: ErrorResponse },
        detail: {
          summary: 'Live timeline of one task (text/event-stream)',
          description:
            'Every event after Last-Event-ID (or `after`), then live events as they are persisted; each carries its seq as the SSE id. Status changes arrive as `event: status`. A client that falls too far behind receives `event: overflow` and must reconnect.',
        },
      },
    )
    .get('/events/stream', () => new Response(timeline.statusStream(), { headers: SSE_HEADERS }), {
      detail: { summary: 'Status changes of all tasks (text/event-stream, `event: status`)' },
    })
}
