import type { ApprovalStatus, JsonObject, TaskEvent, ToolApproval } from '../domain'
import { jsonText } from './format'
import { Badge, type BadgeTone, type Fills, text } from './row-parts'

/** A tool approval where it happened in the timeline: Allow and Deny while pending, the decision after. */

/** The key an approval request and its decision share (request ids are the CLI's, per attempt). */
export function approvalKey(event: TaskEvent): string | null {
  const requestId = text(event.metadata, 'request_id')
  return requestId ? keyOf(event.attempt_id, requestId) : null
}

export const keyOf = (attemptId: string | null, requestId: string) =>
  `approval:${attemptId ?? ''}:${requestId}`

/** The stored approval an `approval_request` event asked for. */
export function approvalFor(event: TaskEvent, approvals: ToolApproval[]): ToolApproval | undefined {
  const requestId = text(event.metadata, 'request_id')
  if (!requestId) return undefined
  return approvals.find(
    (approval) =>
      approval.request_id === requestId &&
      (event.attempt_id === null || approval.attempt_id === event.attempt_id),
  )
}

const DECISION_TONES: Record<ApprovalStatus, BadgeTone> = {
  pending: 'wait',
  allowed: 'ok',
  denied: 'error',
  expired: 'muted',
}

interface Decision {
  status: ApprovalStatus
  by: string | null
  message: string | null
}

const isStatus = (value: unknown): value is ApprovalStatus =>
  value === 'pending' || value === 'allowed' || value === 'denied' || value === 'expired'

/** The decision a `category: approval` event records, or null when it names none. */
export function decisionOf(meta: JsonObject | null): Decision | null {
  const status = meta?.status
  if (!isStatus(status)) return null
  return { status, by: text(meta, 'decided_by'), message: text(meta, 'message') }
}

export function decisionFills({ status, by, message }: Decision): Fills {
  return {
    status: <Badge tone={DECISION_TONES[status]} label={by ? `${status} by ${by}` : status} />,
    body: message ? (
      <p class="approval-reason" safe>
        {message}
      </p>
    ) : (
      ''
    ),
  }
}

/** The answer buttons (the agent waits until one is pressed); the first pending card's answer `a`/`d`. */
export function ApprovalForm({ approval, first }: { approval: ToolApproval; first: boolean }): JSX.Element {
  const messageId = `deny-message-${approval.id}`
  return (
    <form
      class="approval-form"
      hx-post={`/ui/tasks/${approval.task_id}/approvals/${approval.id}`}
      hx-target="#flash"
    >
      <label for={messageId}>Reason told to the agent if you deny (optional)</label>
      <input id={messageId} name="message" autocomplete="off" />
      <div class="row">
        <button
          type="submit"
          name="allow"
          value="true"
          class="primary approval-allow"
          {...(first ? { 'data-shortcut': 'a', 'data-shortcut-label': 'Allow the waiting tool use' } : {})}
        >
          Allow
        </button>
        <button
          type="submit"
          name="allow"
          value="false"
          class="danger approval-deny"
          {...(first ? { 'data-shortcut': 'd', 'data-shortcut-label': 'Deny the waiting tool use' } : {})}
        >
          Deny
        </button>
      </div>
    </form>
  )
}

/** What the agent asked: the request's summary line, the CLI's reason, the tool input. */
export interface ApprovalRequest {
  message: string
  reason: string | null
  input: unknown
}

export const requestOf = (event: TaskEvent): ApprovalRequest => ({
  message: event.message,
  reason: text(event.metadata, 'reason'),
  input: event.metadata?.input,
})

export interface ApprovalCardProps {
  request: ApprovalRequest
  /** The stored approval, when the page knows it. */
  approval?: ToolApproval
  /** The decision event, when it is rendered together with the request. */
  decision?: TaskEvent
  first: boolean
}

/** The state a card starts in: a decision seen wins over the stored record (newer), which wins over nothing. */
export function cardState({
  approval,
  decision,
}: Pick<ApprovalCardProps, 'approval' | 'decision'>): Decision | null {
  const decided = decision ? decisionOf(decision.metadata) : null
  if (decided) return decided
  return approval ? { status: approval.status, by: approval.decided_by, message: approval.message } : null
}

export function ApprovalCard({ request, approval, decision, first }: ApprovalCardProps): JSX.Element {
  const state = cardState({ approval, decision })
  const fills: Fills =
    state === null
      ? { status: <Badge tone="wait" label="waiting" />, body: <p class="muted">Waiting for an answer.</p> }
      : state.status === 'pending' && approval
        ? {
            status: <Badge tone="wait" label="waiting for you" />,
            body: <ApprovalForm approval={approval} first={first} />,
          }
        : decisionFills(state)
  const { reason, input } = request
  return (
    <div class="approval-card" id={approval ? `approval-${approval.id}` : undefined}>
      <p class="approval-head">
        <strong safe>{request.message}</strong>{' '}
        <span class="card-status" data-slot="status">
          {fills.status}
        </span>
      </p>
      {reason ? (
        <p class="muted approval-why" safe>
          {reason}
        </p>
      ) : (
        ''
      )}
      {input === undefined ? (
        ''
      ) : (
        <pre class="json" safe>
          {jsonText(input)}
        </pre>
      )}
      <div class="card-slot" data-slot="body">
        {fills.body}
      </div>
    </div>
  )
}
