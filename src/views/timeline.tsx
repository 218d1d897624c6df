import type { TaskEvent, TaskView, ToolApproval } from '../domain'
import type { AllowedActions } from './actions'
import { eventRows } from './event-row'
import { count } from './format'

/** How many events a page shows at first and loads per "older" click. */
export const TIMELINE_PAGE = 200

/** The first row of the timeline: a button that loads the page of events before `before`. */
export function OlderEvents({ taskId, before }: { taskId: string; before: number }): JSX.Element {
  if (before <= 1) {
    return (
      <li id="older-events" class="older">
        <span class="muted">Start of the timeline</span>
      </li>
    )
  }
  return (
    <li id="older-events" class="older">
      <button
        type="button"
        hx-get={`/ui/tasks/${taskId}/events?before=${before}`}
        hx-target="#older-events"
        hx-swap="outerHTML"
      >
        {`Load older events (${count(before - 1)} earlier)` as 'safe'}
      </button>
    </li>
  )
}

/** A page of older events, replacing the button that asked for it (with a new button first). */
export function olderPage(taskId: string, events: TaskEvent[]): string {
  const first = events[0]?.seq ?? 1
  return <OlderEvents taskId={taskId} before={first} /> + eventRows(events)
}

export interface TimelineProps {
  task: TaskView
  /** The task's tool approvals, pending ones first. */
  approvals: ToolApproval[]
  actions: AllowedActions
}

/**
 * The newest events rendered on the server, then a live stream of what follows (`after` the last
 * one shown, so nothing is missed or repeated; on reconnect htmx sends Last-Event-ID). The stream
 * keeps flowing while the tab is in the background so attention notifications still fire.
 */
export function Timeline({ task }: TimelineProps): JSX.Element {
  const { id: taskId, events, event_count: eventCount, last_seq: lastSeq } = task
  const first = events[0]?.seq ?? lastSeq + 1
  return (
    <section class="timeline-panel" aria-labelledby="timeline-h">
      <h2 id="timeline-h">
        Timeline <small class="muted" safe>{`${count(eventCount)} events`}</small>
      </h2>
      <ol id="timeline" class="timeline" tabindex="0" aria-label="Task events, oldest first">
        <OlderEvents taskId={taskId} before={first} />
        {eventRows(events) as 'safe'}
      </ol>
      <button type="button" id="jump-latest" class="jump" hidden>
        New events below: jump to the latest
      </button>
      <div
        id="timeline-stream"
        hx-sse:connect={`/ui/tasks/${taskId}/stream?after=${lastSeq}`}
        hx-target="#timeline"
        hx-swap="beforeend"
        hx-config='{"sse":{"pauseOnBackground":false}}'
        hidden
      ></div>
    </section>
  )
}
