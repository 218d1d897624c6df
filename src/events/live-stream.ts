import type { TaskEvent } from '../domain'
import { invalid } from '../errors'
import type { StatusChange } from './event-bus'

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

const encoder = new TextEncoder()

/** Where a timeline stream reads its backlog and hears about new events and status changes. */
export interface TimelineSource {
  /** Events with seq above `after`, oldest first, at most `limit`. */
  page(after: number, limit: number): TaskEvent[]
  onEvents(listener: (events: TaskEvent[]) => void): () => void
  /** Status changes of this task only. */
  onStatus(listener: (change: StatusChange) => void): () => void
}

/** How a stream writes its SSE frames (JSON for the API, HTML fragments for the pages). */
export interface TimelineFrames {
  ready(after: number): string
  /** Frames for events the client has not seen yet (never empty, oldest first, ids up to the last seq). */
  events(events: TaskEvent[]): string
  /** A status change, or `null` for the task's current state when the backlog has been sent. */
  status(change: StatusChange | null): string
  /** Sent before disconnecting a client that fell too far behind; it reconnects with Last-Event-ID. */
  overflow?(lastSeq: number): string
}

export interface TimelineStreamOptions {
  /** Send events with seq greater than this (Last-Event-ID or `after`). */
  after: number
  /** Bytes a client may fall behind by before it is disconnected. */
  maxBufferedBytes?: number
  heartbeatMs?: number
  backlogPage?: number
}

/**
 * One task's timeline as server-sent events: first every stored event after `options.after`, read
 * page by page only as fast as the client takes them, then each newly committed batch as it is
 * published. It subscribes before reading the backlog and switches to live delivery in the same
 * tick the backlog runs dry, so nothing falls in between; seqs already sent are skipped, so nothing
 * arrives twice. A client that falls too far behind is disconnected: a slow reader never slows
 * ingestion or grows the server's memory.
 */
export function timelineStream(
  source: TimelineSource,
  frames: TimelineFrames,
  options: TimelineStreamOptions,
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
    if ((controller.desiredSize ?? 0) < -maxBuffered) {
      if (frames.overflow) controller.enqueue(encoder.encode(frames.overflow(cursor)))
      close(controller)
    }
  }

  const framesOf = (events: TaskEvent[]): string => {
    const fresh = events.filter((event) => event.seq > cursor)
    const last = fresh.at(-1)
    if (!last) return ''
    cursor = last.seq
    return frames.events(fresh)
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        cleanups.push(
          source.onEvents((events) => {
            if (live) send(controller, framesOf(events))
          }),
          source.onStatus((change) => {
            if (live) send(controller, frames.status(change))
          }),
        )
        const heartbeat = setInterval(() => send(controller, ': ping\n\n'), options.heartbeatMs ?? 15_000)
        cleanups.push(() => clearInterval(heartbeat))
        // Headers only leave with the first bytes: send some at once so the client knows it is connected.
        controller.enqueue(encoder.encode(frames.ready(cursor)))
      },
      pull(controller) {
        if (live || closed) return
        let events: TaskEvent[]
        try {
          events = source.page(cursor, pageSize)
        } catch {
          // The task was deleted while the stream was open.
          close(controller)
          return
        }
        const text = framesOf(events)
        if (text !== '') {
          controller.enqueue(encoder.encode(text))
          return
        }
        live = true
        controller.enqueue(encoder.encode(frames.status(null)))
      },
      cancel() {
        closed = true
        for (const cleanup of cleanups) cleanup()
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
  )
}

/**
 * Status changes as server-sent events; `frame` may return null to leave a change out. `opening`
 * writes the first frames once the stream listens (so a change committed meanwhile is either in
 * what `opening` reads or arrives live): what a resuming client missed, and the ready frame.
 */
export function statusChangeStream(
  onStatus: (listener: (change: StatusChange) => void) => () => void,
  frame: (change: StatusChange) => string | null,
  opening: () => string,
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
        const text = frame(change)
        if (text !== null) push(text)
      })
      const heartbeat = setInterval(() => push(': ping\n\n'), heartbeatMs)
      cleanup = () => {
        unsubscribe()
        clearInterval(heartbeat)
      }
      controller.enqueue(encoder.encode(opening()))
    },
    cancel() {
      cleanup?.()
    },
  })
}

/** A seq given by a client (Last-Event-ID, `after`): absent, or a whole number; anything else is a 400. */
export function seqParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,15}$/.test(value)) throw invalid(`${name} must be an event seq (a whole number)`)
  return Number(value)
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/

/** A time given by a client (the status stream's Last-Event-ID): absent, or an ISO timestamp in UTC; anything else is a 400. */
export function timestampParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined
  if (!TIMESTAMP.test(value) || Number.isNaN(Date.parse(value)))
    throw invalid(
      `${name} must be a time the stream sent (an ISO timestamp such as 2026-01-01T00:00:00.000Z)`,
    )
  return value
}
