import type { TaskEvent } from '../domain'
import type { Store } from '../storage/store'
import type { EventBus, StatusChange } from './event-bus'

export interface StreamOptions {
  /** Send events with seq greater than this (Last-Event-ID or `after`). */
  after: number
  /** Bytes a client may fall behind by before it is disconnected (it reconnects with Last-Event-ID). */
  maxBufferedBytes?: number
  heartbeatMs?: number
  backlogPage?: number
}

const encoder = new TextEncoder()

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
 * The live timeline of one task as server-sent events: first every stored event after
 * `options.after`, read from SQLite page by page only as fast as the client takes them, then each
 * newly committed batch as it is published. Every event carries its seq as the SSE id, so a client
 * reconnecting with Last-Event-ID misses nothing and receives nothing twice. Status changes come as
 * `event: status`. A client that falls too far behind is told so and disconnected: a slow reader
 * never slows ingestion or grows the server's memory.
 */
export function taskEventStream(
  store: Store,
  bus: EventBus,
  taskId: string,
  options: StreamOptions,
): ReadableStream {
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024
  const page = options.backlogPage ?? 500
  let cursor = options.after
  let live = false
  let closed = false
  const cleanups: (() => void)[] = []

  const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    if (closed) return
    closed = true
    for (const cleanup of cleanups) cleanup()
    try {
      controller.close()
    } catch {
      // Already cancelled by the client.
    }
  }

  const send = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    if (closed) return
    controller.enqueue(encoder.encode(text))
    if ((controller.desiredSize ?? 0) < -maxBuffered) {
      controller.enqueue(
        encoder.encode(
          sseFrame({
            event: 'overflow',
            data: { reason: 'client too slow; reconnect with Last-Event-ID', last_seq: cursor },
          }),
        ),
      )
      close(controller)
    }
  }

  const framesOf = (events: TaskEvent[]) => {
    let text = ''
    for (const event of events) {
      if (event.seq <= cursor) continue
      text += sseFrame({ id: event.seq, data: event })
      cursor = event.seq
    }
    return text
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // Subscribed before the backlog is read: nothing committed in between can be missed.
        cleanups.push(
          bus.onTaskEvents(taskId, (events) => {
            if (!live) return
            const text = framesOf(events)
            if (text) send(controller, text)
          }),
          bus.onStatus((change: StatusChange) => {
            if (change.task_id === taskId && live)
              send(controller, sseFrame({ event: 'status', data: change }))
          }),
        )
        const heartbeat = setInterval(() => send(controller, ': ping\n\n'), options.heartbeatMs ?? 15_000)
        cleanups.push(() => clearInterval(heartbeat))
        // Headers only go out with the first bytes; send them at once so the client knows it is connected.
        controller.enqueue(
          encoder.encode(sseFrame({ event: 'ready', retry: 2000, data: { task_id: taskId, after: cursor } })),
        )
      },
      pull(controller) {
        if (live || closed) return
        const events = store.events.after(taskId, cursor, page)
        if (events.length > 0) {
          controller.enqueue(encoder.encode(framesOf(events)))
          return
        }
        // The backlog is drained; from here on the bus delivers (same tick, so no gap).
        live = true
        const task = store.tasks.get(taskId)
        if (task)
          controller.enqueue(
            encoder.encode(
              sseFrame({ event: 'status', data: { task_id: taskId, status: task.status, seq: cursor } }),
            ),
          )
      },
      cancel() {
        closed = true
        for (const cleanup of cleanups) cleanup()
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
  )
}

/** Status changes of every task, as server-sent events. */
export function statusStream(bus: EventBus, heartbeatMs = 15_000): ReadableStream {
  let cleanup: (() => void) | null = null
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const unsubscribe = bus.onStatus((change) => {
        try {
          controller.enqueue(encoder.encode(sseFrame({ event: 'status', data: change })))
        } catch {
          cleanup?.()
        }
      })
      const heartbeat = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(': ping\n\n'))
        } catch {
          cleanup?.()
        }
      }, heartbeatMs)
      cleanup = () => {
        unsubscribe()
        clearInterval(heartbeat)
      }
      controller.enqueue(encoder.encode(sseFrame({ event: 'ready', retry: 2000, data: {} })))
    },
    cancel() {
      cleanup?.()
    },
  })
}
