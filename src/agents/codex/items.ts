import { commandLabel, describeToolCall, displayPath } from '../describe'
import { MAX_FIELD, type OutputBuilder } from '../events'
import { arr, clip, firstLine, type Json, obj, str } from '../json'

/** Pure mappings from Codex app-server thread items (`item/started`, `item/completed`) to events. */

/** Item types that are one tool invocation each. */
const TOOL_ITEMS = new Set(['commandExecution', 'fileChange', 'mcpToolCall', 'dynamicToolCall', 'webSearch'])

/** Tools whose start is worth an event; commands and patches are shown once, when they finish. */
const GENERIC_TOOL_ITEMS = new Set(['mcpToolCall', 'dynamicToolCall', 'webSearch'])

function toolName(item: Json): string {
  if (item.type === 'mcpToolCall') return `mcp__${str(item.server) ?? '?'}__${str(item.tool) ?? '?'}`
  if (item.type === 'webSearch') return 'WebSearch'
  return str(item.tool) ?? String(item.type)
}

export function itemStarted(item: Json, out: OutputBuilder): void {
  const type = str(item.type) ?? ''
  if (!TOOL_ITEMS.has(type)) return
  out.signal({ type: 'tool-call' })
  if (!GENERIC_TOOL_ITEMS.has(type)) return
  const tool = toolName(item)
  const input = item.arguments ?? (item.query !== undefined ? { query: item.query } : null)
  out.event('tool_call', describeToolCall(tool, input), { tool, input, call_id: str(item.id) ?? null })
}

const KIND_LABEL: Record<string, string> = { add: 'Add', delete: 'Delete', update: 'Update' }

export function itemCompleted(item: Json, out: OutputBuilder, cwd: string | undefined): void {
  const callId = str(item.id) ?? null
  switch (item.type) {
    case 'userMessage':
      // Our own prompt coming back; the supervisor already recorded it as input.
      return
    case 'agentMessage':
    case 'plan': {
      const text = str(item.text) ?? ''
      if (text.trim()) out.event('assistant_text', clip(text, MAX_FIELD))
      return
    }
    case 'reasoning': {
      const text = [...arr(item.summary), ...arr(item.content)]
        .filter((part) => typeof part === 'string')
        .join('\n')
      if (text.trim()) out.event('thinking', clip(text, MAX_FIELD))
      return
    }
    case 'commandExecution': {
      const command = str(item.command) ?? ''
      const status = str(item.status) ?? null
      const exitCode = typeof item.exitCode === 'number' ? item.exitCode : null
      const suffix = status === 'declined' ? ' (declined)' : exitCode ? ` (exit ${exitCode})` : ''
      out.event('command', `${commandLabel(command)}${suffix}`, {
        command,
        output: clip(str(item.aggregatedOutput) ?? '', MAX_FIELD),
        exit_code: exitCode,
        status,
        call_id: callId,
      })
      if (status === 'declined') deniedItem(out, 'Bash', { command }, callId, cwd)
      return
    }
    case 'fileChange': {
      const changes = arr(item.changes).map((change) => {
        const fields = obj(change)
        return {
          path: displayPath(str(fields.path) ?? '?', cwd),
          kind: str(obj(fields.kind).type) ?? str(fields.kind) ?? 'update',
          diff: clip(str(fields.diff) ?? '', MAX_FIELD),
        }
      })
      const status = str(item.status) ?? null
      const label = changes
        .map((change) => `${KIND_LABEL[change.kind] ?? change.kind} ${change.path}`)
        .join(', ')
      out.event(
        'file_change',
        clip(`${label || 'File change'}${status === 'declined' ? ' (declined)' : ''}`, 500),
        {
          changes,
          status,
          call_id: callId,
        },
      )
      if (status === 'declined')
        deniedItem(out, 'apply_patch', { changes: changes.map((c) => c.path) }, callId, cwd)
      return
    }
    case 'mcpToolCall':
    case 'dynamicToolCall':
    case 'webSearch': {
      const isError = item.error != null || item.status === 'failed' || item.success === false
      const output = JSON.stringify(item.error ?? item.result ?? item.contentItems ?? item.action ?? null)
      out.event('tool_result', clip(`${isError ? 'Error: ' : ''}${firstLine(output)}`, 500), {
        call_id: callId,
        output: clip(output, MAX_FIELD),
        is_error: isError,
      })
      return
    }
    case 'contextCompaction':
      out.event('notice', 'Conversation compacted')
      return
    default:
      out.event('raw', clip(JSON.stringify(item), MAX_FIELD))
  }
}

function deniedItem(
  out: OutputBuilder,
  tool: string,
  input: Json,
  callId: string | null,
  cwd: string | undefined,
) {
  out.event('permission_denied', `Denied: ${describeToolCall(tool, input, cwd)}`, {
    tool,
    input,
    call_id: callId,
  })
}
