import type { JsonObject, TaskEvent } from '../domain'
import { fileChangePatch, inlineDiff, toolEditPatch } from './edit-diff'
import { jsonText } from './format'
import { Badge, type Fills, Terminal, text } from './row-parts'

/** Tool calls, their results, commands and file changes as cards. */

/** The key a tool call and its result share (call ids are the CLI's, unique within an attempt). */
export function callKey(event: TaskEvent): string | null {
  const callId = text(event.metadata, 'call_id')
  return callId ? `call:${event.attempt_id ?? ''}:${callId}` : null
}

const EXIT_CODE = /^Exit code (\d+)/

/** What a tool result shows on its call's card: done or failed (with the exit code a Bash error names), and the output. */
export function toolResultFills(meta: JsonObject): Fills {
  const output = text(meta, 'output') ?? ''
  const isError = meta.is_error === true
  const exit = isError ? EXIT_CODE.exec(output.trimStart())?.[1] : undefined
  return {
    status: (
      <Badge tone={isError ? 'error' : 'ok'} label={exit ? `exit ${exit}` : isError ? 'failed' : 'done'} />
    ),
    body: output.trim() === '' ? <p class="muted card-empty">(no output)</p> : <Terminal output={output} />,
  }
}

/** Before its result arrives. */
const WAITING: Fills = {
  status: <Badge tone="wait" label="running" />,
  body: <p class="muted card-empty">No result yet.</p>,
}

/** A tool's input: an edit as its diff, a shell command as the command, anything else as JSON. */
function ToolInput({ tool, input }: { tool: string; input: unknown }): JSX.Element {
  const patch = toolEditPatch(tool, input)
  if (patch !== null) return <EditDiff patch={patch} />
  const command = typeof input === 'object' && input !== null ? (input as JsonObject).command : undefined
  if (tool === 'Bash' && typeof command === 'string') {
    return (
      <pre class="cmd-line" safe>
        {`$ ${command}`}
      </pre>
    )
  }
  return (
    <pre class="json" safe>
      {jsonText(input)}
    </pre>
  )
}

const EDIT_TOOLS = new Set(['Edit', 'Write', 'MultiEdit'])

/**
 * A tool call folded to its name and one-line summary, with its input and (once it came) its
 * result inside. Edits open by default: their diff is what the reader wants to see.
 */
export function ToolCard({ event, result }: { event: TaskEvent; result?: TaskEvent }): JSX.Element {
  const meta = event.metadata ?? {}
  const tool = text(meta, 'tool') ?? 'tool'
  const fills = result?.metadata ? toolResultFills(result.metadata) : WAITING
  return (
    <details class="tool-card" open={EDIT_TOOLS.has(tool)}>
      <summary>
        <span class="tool-name" safe>
          {tool}
        </span>{' '}
        <span class="tool-line" safe>
          {event.message}
        </span>{' '}
        <span class="card-status" data-slot="status">
          {fills.status}
        </span>
      </summary>
      {meta.input === undefined ? '' : <ToolInput tool={tool} input={meta.input} />}
      <div class="card-slot tool-result" data-slot="body">
        {fills.body}
      </div>
    </details>
  )
}

/** A Codex command: it arrives finished, so the card has its exit status and output at once. */
export function CommandCard({ event }: { event: TaskEvent }): JSX.Element {
  const meta = event.metadata ?? {}
  const exit = typeof meta.exit_code === 'number' ? meta.exit_code : null
  const status = text(meta, 'status')
  const output = text(meta, 'output') ?? ''
  const badge =
    status === 'declined' ? (
      <Badge tone="error" label="declined" />
    ) : exit === null ? (
      <Badge tone="muted" label={status ?? 'finished'} />
    ) : (
      <Badge tone={exit === 0 ? 'ok' : 'error'} label={`exit ${exit}`} />
    )
  return (
    <details class="tool-card" open={exit !== null && exit !== 0}>
      <summary>
        <span class="tool-name">command</span>{' '}
        <code class="tool-line" safe>
          {event.message}
        </code>{' '}
        <span class="card-status">{badge}</span>
      </summary>
      <pre class="cmd-line" safe>
        {`$ ${text(meta, 'command') ?? ''}`}
      </pre>
      {output === '' ? <p class="muted card-empty">(no output)</p> : <Terminal output={output} />}
    </details>
  )
}

/** One edit's diff, scrolled in its own box: focusable, so a keyboard can scroll a wide one too. */
function EditDiff({ patch }: { patch: string }): JSX.Element {
  return (
    <section class="edit-diff" tabindex="0" aria-label="Diff of this edit">
      {inlineDiff(patch) as 'safe'}
    </section>
  )
}

/** A Codex patch: each file with its kind and the diff of that change. */
export function FileChangeCard({ event }: { event: TaskEvent }): JSX.Element {
  const meta = event.metadata ?? {}
  const changes = Array.isArray(meta.changes) ? (meta.changes as JsonObject[]) : []
  const status = text(meta, 'status')
  return (
    <details class="tool-card" open>
      <summary>
        <span class="tool-name">files</span>{' '}
        <span class="tool-line" safe>
          {event.message}
        </span>{' '}
        {status && status !== 'completed' ? (
          <span class="card-status">
            <Badge tone={status === 'declined' || status === 'failed' ? 'error' : 'muted'} label={status} />
          </span>
        ) : (
          ''
        )}
      </summary>
      <ul class="changes">
        {changes.map((change) => {
          const path = text(change, 'path') ?? ''
          const kind = text(change, 'kind') ?? 'update'
          const diff = text(change, 'diff') ?? ''
          const patch = fileChangePatch(path, kind, diff)
          return (
            <li>
              <span class="change-kind" safe>
                {kind}
              </span>{' '}
              <code safe>{path}</code>
              {patch !== null ? (
                <EditDiff patch={patch} />
              ) : diff !== '' ? (
                <pre class="json" safe>
                  {diff}
                </pre>
              ) : (
                ''
              )}
            </li>
          )
        })}
      </ul>
    </details>
  )
}
