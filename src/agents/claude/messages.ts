import { describeToolCall } from '../describe'
import { MAX_FIELD, type OutputBuilder } from '../events'
import { arr, clip, firstLine, isObject, type Json, num, obj, str } from '../json'

/** Pure mappings from Claude's stream-json `assistant`, `user` and `result` lines to events. */

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  return arr(content)
    .map((part) => (isObject(part) ? (str(part.text) ?? '') : (str(part) ?? '')))
    .filter(Boolean)
    .join('\n')
}

/** Claude emits one `assistant` line per content block; each block becomes one event. */
export function assistantLine(line: Json, out: OutputBuilder, cwd: string | undefined): void {
  const message = obj(line.message)
  // An API failure is reported as an assistant message from a made-up model.
  const synthetic = message.model === '<synthetic>'
  const parent = str(line.parent_tool_use_id)
  const context = parent ? { parent_call_id: parent } : {}
  for (const block of arr(message.content)) {
    if (!isObject(block)) continue
    if (block.type === 'text') {
      const text = str(block.text) ?? ''
      if (text.trim()) out.event(synthetic ? 'error' : 'assistant_text', clip(text, MAX_FIELD), context)
    } else if (block.type === 'thinking') {
      const text = str(block.thinking) ?? ''
      if (text.trim()) out.event('thinking', clip(text, MAX_FIELD), context)
    } else if (block.type === 'tool_use' || block.type === 'server_tool_use') {
      const tool = str(block.name) ?? 'tool'
      out.signal({ type: 'tool-call' }).event('tool_call', describeToolCall(tool, block.input, cwd), {
        ...context,
        tool,
        input: block.input ?? null,
        call_id: str(block.id) ?? null,
      })
    }
  }
}

/** `user` lines carry tool results, and notes such as "[Request interrupted by user]". */
export function userLine(line: Json, out: OutputBuilder): void {
  const content = obj(line.message).content
  if (typeof content === 'string') {
    if (content.trim()) out.event('notice', clip(content, MAX_FIELD))
    return
  }
  for (const block of arr(content)) {
    if (!isObject(block)) continue
    if (block.type === 'tool_result') {
      const output = contentText(block.content)
      const isError = block.is_error === true
      const summary = firstLine(output.trim()) || '(no output)'
      out.event('tool_result', clip(isError ? `Error: ${summary}` : summary, 500), {
        call_id: str(block.tool_use_id) ?? null,
        output: clip(output, MAX_FIELD),
        is_error: isError,
      })
    } else if (block.type === 'text' && str(block.text)?.trim()) {
      out.event('notice', clip(String(block.text), MAX_FIELD))
    }
  }
}

/** `subtype` can say "success" while `is_error` is true (an API error after retries). */
export const resultIsError = (line: Json): boolean =>
  line.is_error === true || (str(line.subtype) ?? 'success') !== 'success'

export function resultLine(line: Json, out: OutputBuilder, cwd: string | undefined): void {
  for (const denial of arr(line.permission_denials)) {
    const fields = obj(denial)
    const tool = str(fields.tool_name) ?? 'tool'
    out.event('permission_denied', `Denied: ${describeToolCall(tool, fields.tool_input, cwd)}`, {
      tool,
      input: fields.tool_input ?? null,
      call_id: str(fields.tool_use_id) ?? null,
    })
  }
  const isError = resultIsError(line)
  const turns = num(line.num_turns)
  const durationMs = num(line.duration_ms)
  const detail = str(line.result) ?? contentText(line.errors)
  const message = isError
    ? `Turn failed (${str(line.subtype) ?? 'error'})${detail ? `: ${firstLine(detail)}` : ''}`
    : `Turn completed (${turns} model ${turns === 1 ? 'call' : 'calls'}, ${durationMs} ms)`
  out.event('result', clip(message, 500), {
    turns,
    duration_ms: durationMs,
    is_error: isError,
    status: str(line.subtype) ?? null,
    stop_reason: str(line.terminal_reason) ?? str(line.stop_reason) ?? null,
  })
}
