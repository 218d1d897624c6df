import type { JsonObject, TaskEvent } from '../domain'
import { AgentText } from './agent-text'
import { ansiToHtml } from './ansi'
import { clock, count, dollars, jsonText } from './format'

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
}

const text = (meta: JsonObject | null, key: string): string | null => {
  const value = meta?.[key]
  return typeof value === 'string' ? value : null
}
const num = (meta: JsonObject | null, key: string): number | null => {
  const value = meta?.[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function Terminal({ output }: { output: string }): JSX.Element {
  return <pre class="term">{ansiToHtml(output) as 'safe'}</pre>
}

function Plain({ message }: { message: string }): JSX.Element {
  return (
    <span class="msg" safe>
      {message}
    </span>
  )
}

/** Inputs and long outputs fold away; the summary line stays visible. */
function Fold({ summary, children }: { summary: string; children: JSX.Element }): JSX.Element {
  return (
    <details>
      <summary safe>{summary}</summary>
      {children}
    </details>
  )
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

function agent(event: TaskEvent, meta: JsonObject): Described {
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
          <Fold summary={message.split('\n', 1)[0] ?? ''}>
            <p class="md" safe>
              {message}
            </p>
          </Fold>
        ),
      }
    case 'tool_call': {
      const tool = text(meta, 'tool') ?? 'tool'
      return {
        tone: 'tool',
        label: tool,
        body:
          meta.input === undefined ? (
            <Plain message={message} />
          ) : (
            <Fold summary={message}>
              <pre class="json" safe>
                {jsonText(meta.input)}
              </pre>
            </Fold>
          ),
      }
    }
    case 'tool_result': {
      const output = text(meta, 'output') ?? ''
      return {
        tone: meta.is_error === true ? 'error' : 'muted',
        label: meta.is_error === true ? 'tool error' : 'tool result',
        body:
          output.includes('\n') || output.length > message.length ? (
            <Fold summary={message}>
              <Terminal output={output} />
            </Fold>
          ) : (
            <Plain message={message} />
          ),
      }
    }
    case 'command': {
      const exit = num(meta, 'exit_code')
      const output = text(meta, 'output') ?? ''
      return {
        tone: exit !== null && exit !== 0 ? 'error' : 'tool',
        label: exit !== null && exit !== 0 ? `exit ${exit}` : 'command',
        body: (
          <>
            <code class="cmd" safe>
              {message}
            </code>
            {output === '' ? '' : <Terminal output={output} />}
          </>
        ),
      }
    }
    case 'file_change': {
      const changes = Array.isArray(meta.changes) ? (meta.changes as JsonObject[]) : []
      return {
        tone: 'tool',
        label: 'files',
        body: (
          <ul class="changes">
            {changes.map((change) => (
              <li>
                <span class="change-kind" safe>
                  {text(change, 'kind') ?? 'change'}
                </span>{' '}
                <code safe>{text(change, 'path') ?? ''}</code>
                {text(change, 'diff') ? (
                  <Fold summary="diff">
                    <pre class="json" safe>
                      {text(change, 'diff') ?? ''}
                    </pre>
                  </Fold>
                ) : (
                  ''
                )}
              </li>
            ))}
          </ul>
        ),
      }
    }
    case 'approval_request':
      return {
        tone: 'attention',
        label: 'approval',
        body: (
          <>
            <strong class="msg" safe>
              {message}
            </strong>
            {meta.input === undefined ? (
              ''
            ) : (
              <pre class="json" safe>
                {jsonText(meta.input)}
              </pre>
            )}
          </>
        ),
      }
    case 'permission_denied':
      return { tone: 'error', label: 'denied', body: <Plain message={message} /> }
    case 'result':
      return {
        tone: meta.is_error === true ? 'error' : 'ok',
        label: 'turn',
        body: <Plain message={message} />,
      }
    case 'usage': {
      const cost = num(meta, 'cost_usd')
      const summary = `${count(num(meta, 'input_tokens') ?? 0)} in · ${count(num(meta, 'output_tokens') ?? 0)} out tokens${cost === null ? '' : ` · ${dollars(cost * 100)}`}`
      return { tone: 'muted', label: 'usage', body: <Plain message={summary} /> }
    }
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
export function describeEvent(event: TaskEvent): Described {
  const meta = event.metadata
  if (meta?.category === 'agent') return agent(event, meta)
  switch (event.kind) {
    case 'stdout':
      return { tone: 'out', label: 'out', body: <Terminal output={event.message} /> }
    case 'stderr':
      return { tone: 'err', label: 'err', body: <Terminal output={event.message} /> }
    case 'error':
      return { tone: 'error', label: 'error', body: <Terminal output={event.message} /> }
    case 'input':
      return { tone: 'input', label: 'you', body: <Plain message={event.message} /> }
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

export function EventRow({ event }: { event: TaskEvent }): JSX.Element {
  const { tone, label, body } = describeEvent(event)
  return (
    <li class={`ev ev-${tone}`} id={`ev-${event.seq}`} data-seq={event.seq}>
      <time datetime={event.created_at}>{clock(event.created_at) as 'safe'}</time>
      <span class="ev-label" safe>
        {label}
      </span>
      <div class="ev-body">{body}</div>
    </li>
  )
}

/** Rows for a batch of events, oldest first. */
export function eventRows(events: TaskEvent[]): string {
  return events.map((event) => <EventRow event={event} />).join('')
}
