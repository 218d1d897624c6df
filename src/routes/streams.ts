import { Elysia, t } from 'elysia'
import { invalid } from '../errors'
import { statusStream, taskEventStream } from '../events/task-stream'
import type { Runtime } from '../runtime'
import { ErrorResponse, TaskParams } from './schemas'

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

function resumePoint(lastEventId: string | undefined, after: number | undefined): number {
  if (lastEventId !== undefined && lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) throw invalid('Last-Event-ID must be an event seq (a whole number)')
    return Number(lastEventId)
  }
  return after ?? 0
}

/** Live streams over server-sent events: one task's timeline, and every task's status changes. */
export function streamRoutes(runtime: Runtime) {
  const { store, bus, tasks } = runtime
  return new Elysia({ name: 'stream-routes', tags: ['streams'] })
    .get(
      '/tasks/:id/stream',
      ({ params, query, headers }) => {
        tasks.get(params.id)
        const after = resumePoint(headers['last-event-id'], query.after)
        return new Response(taskEventStream(store, bus, params.id, { after }), { headers: SSE_HEADERS })
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
    .get('/events/stream', () => new Response(statusStream(bus), { headers: SSE_HEADERS }), {
      detail: { summary: 'Status changes of all tasks (text/event-stream, `event: status`)' },
    })
}
