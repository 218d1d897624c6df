import type { TaskEvent, TaskView, ToolApproval } from '../domain'
import type { AllowedActions } from './actions'
import { ApprovalCard, approvalFor, keyOf } from './approval-card'
import { eventRows } from './event-row'
import { attr, count } from './format'
import { ReplyBox } from './reply-box'

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
export function olderPage(
  taskId: string,
  events: TaskEvent[],
  approvals: () => ToolApproval[] = () => [],
): string {
  const first = events[0]?.seq ?? 1
  return <OlderEvents taskId={taskId} before={first} /> + eventRows(events, { approvals })
}

export interface TimelineProps {
  task: TaskView
  /** The task's tool approvals, pending ones first. */
  approvals: ToolApproval[]
  actions: AllowedActions
}

/**
 * Pending approvals whose request is not among the events shown (older than the first page):
 * they still get their card, above the reply box, so nothing the agent waits for is out of reach.
 */
function UnshownApprovals({
  events,
  approvals,
}: {
  events: TaskEvent[]
  approvals: ToolApproval[]
}): JSX.Element {
  const shown = new Set(
    events
      .filter((event) => event.metadata?.type === 'approval_request')
      .map((event) => approvalFor(event, approvals)?.id),
  )
  const unshown = approvals.filter((approval) => approval.status === 'pending' && !shown.has(approval.id))
  if (unshown.length === 0) return ''
  const shownPending = approvals.some((approval) => approval.status === 'pending' && shown.has(approval.id))
  return (
    <ul class="plain unshown-approvals" aria-label="Tool approvals asked further up the timeline">
      {unshown.map((approval, index) => (
        <li data-state="pending" data-card={attr(keyOf(approval.attempt_id, approval.request_id))}>
          <ApprovalCard
            request={{ message: `Approval needed: ${approval.tool}`, reason: null, input: approval.input }}
            approval={approval}
            first={index === 0 && !shownPending}
          />
        </li>
      ))}
    </ul>
  )
}

/** The reply box as a partial for the stream and action answers: morphed, so a half-typed reply survives. */
export function replyBoxPartial(task: TaskView, actions: AllowedActions): string {
  return `<hx-partial hx-target="#reply-box" hx-swap="outerMorph">${ReplyBox({ task, actions })}</hx-partial>`
}

/**
 * The newest events rendered on the server, then a live stream of what follows (`after` the last
 * one shown, so nothing is missed or repeated; on reconnect htmx sends Last-Event-ID). The stream
 * keeps flowing while the tab is in the background so attention notifications still fire. Agent
 * runs read as a conversation (messages, tool cards, approvals in place), shell runs as a terminal.
 */
export function Timeline({ task, approvals, actions }: TimelineProps): JSX.Element {
  const { id: taskId, events, event_count: eventCount, last_seq: lastSeq } = task
  const first = events[0]?.seq ?? lastSeq + 1
  return (
    <section
      class={task.runner === 'shell' ? 'timeline-panel' : 'timeline-panel conversation'}
      aria-labelledby="timeline-h"
    >
      <h2 id="timeline-h">
        {task.runner === 'shell' ? 'Timeline' : 'Conversation'}{' '}
        <small class="muted" safe>{`${count(eventCount)} events`}</small>
      </h2>
      <ol id="timeline" class="timeline" tabindex="0" aria-label="Task events, oldest first">
        <OlderEvents taskId={taskId} before={first} />
        {eventRows(events, { approvals: () => approvals }) as 'safe'}
      </ol>
      <button type="button" id="jump-latest" class="jump" hidden>
        New events below: jump to the latest
      </button>
      <UnshownApprovals events={events} approvals={approvals} />
      <ReplyBox task={task} actions={actions} />
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
