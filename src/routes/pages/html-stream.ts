import type { TaskEvent } from '../../domain'
import {
  statusChangeStream,
  type TimelineSource,
  type TimelineStreamOptions,
  timelineStream,
} from '../../events/live-stream'
import type { StatusChange } from '../../tasks/timeline'
import { visibleText } from '../../views/visible'

export { SSE_HEADERS, type TimelineSource } from '../../events/live-stream'

/**
 * An SSE message carrying HTML for htmx to swap. Control characters become visible as in every
 * page (see visibleText), which also leaves no carriage return; line breaks become character
 * references so the fragment fits one `data:` line (no line can end the frame early).
 */
export function htmlFrame(fragment: string, id?: number): string {
  const data = visibleText(fragment).replace(/\n/g, '&#10;')
  return `${id === undefined ? '' : `id: ${id}\n`}data: ${data}\n\n`
}

/** A named SSE event: htmx dispatches it as a DOM event (with the JSON in detail.data) instead of swapping. */
export function namedFrame(event: string, data: unknown, retry?: number): string {
  return `${retry === undefined ? '' : `retry: ${retry}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export interface TimelineRender {
  /** Rows to append for a batch of events, plus any partial updates the batch calls for. */
  events(events: TaskEvent[]): string
  /** The frames for the task's current state (summary partials and a named status event). */
  status(): string
}

export type HtmlStreamOptions = TimelineStreamOptions

/**
 * The task page's live timeline as HTML over SSE (see `timelineStream`): each committed batch is
 * one message whose id is its last seq, so Last-Event-ID resumes exactly; htmx reconnects after a
 * slow client was cut off.
 */
export function timelineHtmlStream(
  source: TimelineSource,
  render: TimelineRender,
  options: HtmlStreamOptions,
): ReadableStream<Uint8Array> {
  return timelineStream(
    source,
    {
      ready: (after) => namedFrame('ready', { after }, 2000),
      events: (events) => htmlFrame(render.events(events), events.at(-1)?.seq),
      status: () => render.status(),
    },
    options,
  )
}

/**
 * Every task's status changes as named `status` events (the roster and the attention script). Each
 * carries the time of its change as its SSE id, and the ready frame the time the stream opened, so
 * a client that reconnects (Last-Event-ID) is first sent `missed()`: the current status of every
 * task that changed since, which catches it up even across a server restart.
 */
export function statusEventStream(
  onStatus: (listener: (change: StatusChange) => void) => () => void,
  describe: (change: StatusChange) => unknown | null,
  missed: () => unknown[],
  heartbeatMs = 15_000,
): ReadableStream<Uint8Array> {
  return statusChangeStream(
    onStatus,
    (change) => {
      const data = describe(change)
      return data === null ? null : statusFrame(data, change.at)
    },
    () =>
      missed()
        .map((data) => namedFrame('status', data))
        .join('') + statusFrame({}, new Date().toISOString(), 'ready', 2000),
    heartbeatMs,
  )
}

function statusFrame(data: unknown, id: string, event = 'status', retry?: number): string {
  return `id: ${id}\n${namedFrame(event, data, retry)}`
}
