import type { Store } from '../storage/store'
import type { EventBus } from './event-bus'
import { statusChangeStream, type TimelineStreamOptions, timelineStream } from './live-stream'

/** One SSE frame. Data is JSON, so it never contains a raw newline. */
export function sseFrame(fields: {
  id?: number | string
  event?: string
  data: unknown
  retry?: number
}): string {
  let frame = ''
  if (fields.retry !== undefined) frame += `retry: ${fields.retry}\n`
  if (fields.id !== undefined) frame += `id: ${fields.id}\n`
  if (fields.event) frame += `event: ${fields.event}\n`
  return `${frame}data: ${JSON.stringify(fields.data)}\n\n`
}

/**
 * The API's live timeline of one task (see `timelineStream`): each event a JSON message whose SSE
 * id is its seq, status changes as `event: status`, and `event: overflow` before a slow client is cut off.
 */
export function taskEventStream(
  store: Store,
  bus: EventBus,
  taskId: string,
  options: TimelineStreamOptions,
): ReadableStream {
  return timelineStream(
    {
      page: (after, limit) => store.events.after(taskId, after, limit),
      onEvents: (listener) => bus.onTaskEvents(taskId, listener),
      onStatus: (listener) =>
        bus.onStatus((change) => {
          if (change.task_id === taskId) listener(change)
        }),
    },
    {
      ready: (after) => sseFrame({ event: 'ready', retry: 2000, data: { task_id: taskId, after } }),
      events: (events) => events.map((event) => sseFrame({ id: event.seq, data: event })).join(''),
      status: (change) => {
        if (change) return sseFrame({ event: 'status', data: change })
        const task = store.tasks.get(taskId)
        const seq = store.events.maxSeq(taskId)
        return task ? sseFrame({ event: 'status', data: { task_id: taskId, status: task.status, seq } }) : ''
      },
      overflow: (lastSeq) =>
        sseFrame({
          event: 'overflow',
          data: { reason: 'client too slow; reconnect with Last-Event-ID', last_seq: lastSeq },
        }),
    },
    options,
  )
}

/** Status changes of every task, as server-sent events. */
export function statusStream(bus: EventBus, heartbeatMs = 15_000): ReadableStream {
  return statusChangeStream(
    (listener) => bus.onStatus(listener),
    (change) => sseFrame({ event: 'status', data: change }),
    () => sseFrame({ event: 'ready', retry: 2000, data: {} }),
    heartbeatMs,
  )
}
