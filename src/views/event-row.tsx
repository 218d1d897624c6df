import type { JsonObject, TaskEvent, ToolApproval } from '../domain'
import { AgentText } from './agent-text'
import {
  ApprovalCard,
  approvalFor,
  approvalKey,
  cardState,
  decisionFills,
  decisionOf,
  requestOf,
} from './approval-card'
import { attr, clock, count, dollars } from './format'
import { FillParts, Fold, num, oneLine, Plain, Terminal, text } from './row-parts'
import { CommandCard, callKey, FileChangeCard, ToolCard, toolResultFills } from './tool-card'

/** How an event is coloured: one CSS class per tone. */
export type Tone =
  | 'out'
  | 'err'
  | 'agent'
  | 'tool'
  | 'error'
  | 'life'
  | 'attention'
  | 'ok'
  | 'input'
  | 'muted'

interface Described {
  tone: Tone
  label: string
  body: JSX.Element
  /** This row is a card later events fill (`data-card`). */
  card?: string
  /** This row's parts belong in the card with this key (`data-attach`). */
  attach?: string
  /** An approval's state (`data-state`): pending, allowed, denied, expired. */
  state?: string
}

/** What the rows of one batch know about each other and about the task. */
export interface RowParts {
  /** The event that fills this card, when it is in the same batch. */
  attached?: TaskEvent
  /** The stored approval an approval request asked for. */
  approval?: ToolApproval
  /** The first pending approval of the batch carries the approve/deny shortcuts. */
  first?: boolean
}

const ERROR_CATEGORIES = new Set(['attempt-failed', 'attempt-start-failed', 'enqueue-failed', 'diff-failed'])
const OK_CATEGORIES = new Set(['attempt-completed', 'merged', 'approved'])

function lifecycle(event: TaskEvent): Described {
  const category = text(event.metadata, 'category') ?? 'lifecycle'
  const tone: Tone = ERROR_CATEGORIES.has(category)
    ? 'error'
    : category === 'needs-input'
      ? 'attention'
      : OK_CATEGORIES.has(category)
        ? 'ok'
        : 'life'
  return { tone, label: category.replace(/^attempt-/, ''), body: <Plain message={event.message} /> }
}

const DECISION_ROW_TONES: Record<string, Tone> = { allowed: 'ok', denied: 'error', expired: 'muted' }

/** An answered approval (category `approval`): it fills the request's card. */
function decision(event: TaskEvent): Described {
  const decided = decisionOf(event.metadata)
  if (!decided) return lifecycle(event)
  return {
    tone: DECISION_ROW_TONES[decided.status] ?? 'muted',
    label: 'approval',
    body: (
      <>
        <Plain message={event.message} /> <FillParts fills={decisionFills(decided)} />
      </>
    ),
    attach: approvalKey(event) ?? undefined,
    state: decided.status,
  }
}

function usageSummary(meta: JsonObject): string {
  const cost = num(meta, 'cost_usd')
  const cached = (num(meta, 'cache_read_tokens') ?? 0) + (num(meta, 'cache_write_tokens') ?? 0)
  return [
    `${count(num(meta, 'input_tokens') ?? 0)} in · ${count(num(meta, 'output_tokens') ?? 0)} out tokens`,
    cached > 0 ? `${count(cached)} cached` : null,
    cost === null ? null : dollars(cost * 100),
  ]
    .filter((part) => part !== null)
    .join(' · ')
}

function agent(event: TaskEvent, meta: JsonObject, parts: RowParts): Described {
  const type = text(meta, 'type') ?? 'raw'
  const message = event.message
  switch (type) {
    case 'assistant_text':
      return { tone: 'agent', label: 'assistant', body: <AgentText text={message} /> }
    case 'thinking':
      return {
        tone: 'muted',
        label: 'thinking',
        body: (
          <Fold summary={oneLine(message)}>
            <p class="md thinking" safe>
              {message}
            </p>
          </Fold>
        ),
      }
    case 'tool_call':
      return {
        tone: 'tool',
        label: text(meta, 'tool') ?? 'tool',
        body: <ToolCard event={event} result={parts.attached} />,
        card: callKey(event) ?? undefined,
      }
    case 'tool_result':
      return {
        tone: meta.is_error === true ? 'error' : 'muted',
        label: meta.is_error === true ? 'tool error' : 'tool result',
        body: <FillParts fills={toolResultFills(meta)} />,
        attach: callKey(event) ?? undefined,
      }
    case 'command': {
      const exit = num(meta, 'exit_code')
      return {
        tone: exit !== null && exit !== 0 ? 'error' : 'tool',
        label: exit !== null && exit !== 0 ? `exit ${exit}` : 'command',
        body: <CommandCard event={event} />,
      }
    }
    case 'file_change':
      return { tone: 'tool', label: 'files', body: <FileChangeCard event={event} /> }
    case 'approval_request': {
      const state = cardState({ approval: parts.approval, decision: parts.attached })
      return {
        tone: 'attention',
        label: 'approval',
        body: (
          <ApprovalCard
            request={requestOf(event)}
            approval={parts.approval}
            decision={parts.attached}
            first={parts.first ?? false}
          />
        ),
        card: approvalKey(event) ?? undefined,
        state: state?.status ?? 'waiting',
      }
    }
    case 'permission_denied':
      return { tone: 'error', label: 'denied', body: <Plain message={message} /> }
    case 'result':
      return {
        tone: meta.is_error === true ? 'error' : 'ok',
        label: 'turn',
        body: <Plain message={message} />,
      }
    case 'usage':
      return { tone: 'muted', label: 'usage', body: <Plain message={usageSummary(meta)} /> }
    case 'error':
      return { tone: 'error', label: 'error', body: <Terminal output={message} /> }
    case 'raw':
      return {
        tone: event.kind === 'stderr' ? 'err' : 'out',
        label: event.kind,
        body: <Terminal output={message} />,
      }
    default:
      return { tone: 'muted', label: type.replace(/_/g, ' '), body: <Plain message={message} /> }
  }
}

/** What an event looks like in the timeline: its tone, a short label and the escaped body. */
export function describeEvent(event: TaskEvent, parts: RowParts = {}): Described {
  const meta = event.metadata
  if (meta?.category === 'agent') return agent(event, meta, parts)
  if (meta?.category === 'approval') return decision(event)
  switch (event.kind) {
    case 'stdout':
      return { tone: 'out', label: 'out', body: <Terminal output={event.message} /> }
    case 'stderr':
      return { tone: 'err', label: 'err', body: <Terminal output={event.message} /> }
    case 'error':
      return { tone: 'error', label: 'error', body: <Terminal output={event.message} /> }
    case 'input':
      return {
        tone: 'input',
        label: 'you',
        body: (
          <p class="md user-text" safe>
            {event.message}
          </p>
        ),
      }
    case 'diff':
      return {
        tone: 'life',
        label: 'diff',
        body: (
          <Fold summary={event.message.split('\n', 1)[0] ?? 'changes'}>
            <pre class="json" safe>
              {event.message}
            </pre>
          </Fold>
        ),
      }
    default:
      return lifecycle(event)
  }
}

export function EventRow({ event, ...parts }: { event: TaskEvent } & RowParts): JSX.Element {
  const { tone, label, body, card, attach, state } = describeEvent(event, parts)
  return (
    <li
      class={card ? `ev ev-${tone} ev-card` : `ev ev-${tone}`}
      id={`ev-${event.seq}`}
      data-seq={event.seq}
      data-card={card === undefined ? undefined : attr(card)}
      data-attach={attach === undefined ? undefined : attr(attach)}
      data-state={state}
    >
      <time datetime={event.created_at}>{clock(event.created_at) as 'safe'}</time>
      <span class="ev-label" safe>
        {label}
      </span>
      <div class="ev-body">{body}</div>
    </li>
  )
}

export interface RowContext {
  /** The task's stored approvals; read only for a batch with an approval request in it. */
  approvals?: () => ToolApproval[]
}

/** The card key a row opens, or the one it belongs to, without rendering it. */
const cardKeyOf = (event: TaskEvent): string | null => {
  const type = event.metadata?.category === 'agent' ? event.metadata.type : null
  if (type === 'tool_call') return callKey(event)
  if (type === 'approval_request') return approvalKey(event)
  return null
}
const attachKeyOf = (event: TaskEvent): string | null => {
  const meta = event.metadata
  if (meta?.category === 'approval') return approvalKey(event)
  if (meta?.category === 'agent' && meta.type === 'tool_result') return callKey(event)
  return null
}

/**
 * Rows for a batch of events, oldest first: one row per event, except that an event whose card
 * is in the same batch (a tool's result, an approval's decision) is rendered inside that card.
 * Across batches timeline.js does the same in the page, so paging and streaming agree.
 */
export function eventRows(events: TaskEvent[], context: RowContext = {}): string {
  const cards = new Set<string>()
  for (const event of events) {
    const key = cardKeyOf(event)
    if (key) cards.add(key)
  }
  const attached = new Map<string, TaskEvent>()
  for (const event of events) {
    const key = attachKeyOf(event)
    if (key && cards.has(key)) attached.set(key, event)
  }
  const inCards = new Set(attached.values())
  const hasRequests = events.some((event) => event.metadata?.type === 'approval_request')
  const approvals = hasRequests ? (context.approvals?.() ?? []) : []
  let firstPending = true
  let html = ''
  for (const event of events) {
    if (inCards.has(event)) continue
    const key = cardKeyOf(event)
    const fill = key ? attached.get(key) : undefined
    const approval = event.metadata?.type === 'approval_request' ? approvalFor(event, approvals) : undefined
    const pending = approval?.status === 'pending' && fill === undefined
    html += <EventRow event={event} attached={fill} approval={approval} first={pending && firstPending} />
    if (pending) firstPending = false
  }
  return html
}
