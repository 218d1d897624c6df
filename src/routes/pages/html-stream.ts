import type { TaskEvent } from '../../domain'
import type { StatusChange } from '../../events/event-bus'

const encoder = new TextEncoder()

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/**
 * An SSE message carrying HTML for htmx to swap. Line breaks become character references so the
 * fragment fits one `data:` line (the same text once parsed, and no line can end the frame early).
 */
export function htmlFrame(fragment: string, id?: number): string {
  const data = fragment.replace(/\r/g, '&#13;').replace(/\n/g, '&#10;')
  return `${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`
}

/** A named SSE event: htmx dispatches it as a DOM event (with the JSON in detail.data) instead of swapping. */
export function namedFrame(event: string, data: unknown, retry?: number): string {
  return `${retry === undefined ? '' : `retry: ${retry}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export interface TimelineSource {
  /** Events with seq above `after`, oldest first, at most `limit`. */
  page(after: number, limit: number): TaskEvent[]
  onEvents(listener: (events: TaskEvent[]) => void): () => void
  onStatus(listener: (change: StatusChange) => void): () => void
}

export interface TimelineRender {
  /** Rows to append for a batch of events, plus any partial updates the batch calls for. */
  events(events: TaskEvent[]): string
  /** The frames for the task's current state (summary partials and a named status event). */
  status(): string
}

export interface HtmlStreamOptions {
  after: number
  maxBufferedBytes?: number
  heartbeatMs?: number
  backlogPage?: number
}

/**
 * The task page's live timeline as HTML over SSE, built like the JSON stream (src/events/task-stream.ts):
 * subscribed before the backlog is read, the backlog paged only as fast as the client reads, then
 * each committed batch as one message whose id is its last seq (so Last-Event-ID resumes exactly).
 * A client that falls too far behind is disconnected; htmx reconnects and resumes from its last id.
 */
export function timelineHtmlStream(
  source: TimelineSource,
  render: TimelineRender,
  options: HtmlStreamOptions,
): ReadableStream<Uint8Array> {
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024
  const pageSize = options.backlogPage ?? 500
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
    if (closed || text === '') return
    controller.enqueue(encoder.encode(text))
    if ((controller.desiredSize ?? 0) < -maxBuffered) close(controller)
  }

  const framesOf = (events: TaskEvent[]): string => {
    const fresh = events.filter((event) => event.seq > cursor)
    const last = fresh.at(-1)
    if (!last) return ''
    cursor = last.seq
    return htmlFrame(render.events(fresh), last.seq)
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        cleanups.push(
          source.onEvents((events) => {
            if (live) send(controller, framesOf(events))
          }),
          source.onStatus(() => {
            if (live) send(controller, render.status())
          }),
        )
        const heartbeat = setInterval(() => send(controller, ': ping\n\n'), options.heartbeatMs ?? 15_000)
        cleanups.push(() => clearInterval(heartbeat))
        // Headers only leave with the first bytes: without this htmx would wait for the first event.
        controller.enqueue(encoder.encode(namedFrame('ready', { after: cursor }, 2000)))
      },
      pull(controller) {
        if (live || closed) return
        let events: TaskEvent[]
        try {
          events = source.page(cursor, pageSize)
        } catch {
          // The task was deleted while the page was open.
          close(controller)
          return
        }
        if (events.length > 0) {
          controller.enqueue(encoder.encode(framesOf(events)))
          return
        }
        // Backlog drained: from here the bus delivers (same tick, so nothing falls in between).
        live = true
        controller.enqueue(encoder.encode(render.status()))
      },
      cancel() {
        closed = true
        for (const cleanup of cleanups) cleanup()
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
  )
}

/** Every task's status changes as named `status` events (the dashboard's list and attention script). */
export function statusEventStream(
  onStatus: (listener: (change: StatusChange) => void) => () => void,
  describe: (change: StatusChange) => unknown | null,
  heartbeatMs = 15_000,
): ReadableStream<Uint8Array> {
  let cleanup: (() => void) | null = null
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const push = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          cleanup?.()
        }
      }
      const unsubscribe = onStatus((change) => {
        const data = describe(change)
        if (data !== null) push(namedFrame('status', data))
      })
      const heartbeat = setInterval(() => push(': ping\n\n'), heartbeatMs)
      cleanup = () => {
        unsubscribe()
        clearInterval(heartbeat)
      }
      controller.enqueue(encoder.encode(namedFrame('ready', {}, 2000)))
    },
    cancel() {
      cleanup?.()
    },
  })
}
