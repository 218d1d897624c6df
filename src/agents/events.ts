import type { EventKind, JsonObject, NewEvent } from '../domain'
import type { AgentOutput, AgentRunner, AgentSignal } from './types'

/**
 * One event vocabulary for both CLIs. Every event an adapter makes has
 * `metadata = { category: 'agent', type, runner, ...fields }` and a human-readable `message`:
 *
 * | type               | kind   | fields                                          | message                     |
 * |--------------------|--------|-------------------------------------------------|-----------------------------|
 * | `session`          | stdout | session_id                                      | "Session <id>"              |
 * | `assistant_text`   | stdout | —                                               | the text                    |
 * | `thinking`         | stdout | —                                               | the reasoning text          |
 * | `tool_call`        | stdout | tool, input, call_id, parent_call_id?           | "Write a.txt", "$ ls", …    |
 * | `tool_result`      | stdout | call_id, output, is_error                       | first line of the output    |
 * | `command`          | stdout | command, output, exit_code, status, call_id     | "$ <command>"               |
 * | `file_change`      | stdout | changes [{path, kind, diff?}], status, call_id  | "Add a.txt, Update b.ts"    |
 * | `approval_request` | stdout | request_id, tool, input, call_id, reason        | "Approval needed: …"        |
 * | `permission_denied`| stdout | tool, input, call_id                            | "Denied: …"                 |
 * | `result`           | stdout | turns (model calls), duration_ms, is_error, status, stop_reason? | "Turn completed …" |
 * | `usage`            | stdout | input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd? (deltas) |
 * | `notice`           | stdout | request_id? (withdrawn approvals)               | a status note: API retry, warning, "[Request interrupted by user]", approval withdrawn |
 * | `error`            | error  | details? (Codex)                                | the error text              |
 * | `raw`              | stdout or stderr | —                                     | the line as printed         |
 *
 * `status` is the CLI's own word: Claude's result subtype ("success", "error_during_execution", …)
 * or Codex's turn and item status ("completed", "interrupted", "failed", "declined").
 * Claude tool uses are `tool_call` + `tool_result`; Codex shell commands and patches arrive
 * already finished as `command` and `file_change` (their start only raises a `tool-call` signal).
 * A line no parser understands becomes `raw`: output is never dropped, only summarised.
 */

export type AgentEventType =
  | 'session'
  | 'assistant_text'
  | 'thinking'
  | 'tool_call'
  | 'tool_result'
  | 'command'
  | 'file_change'
  | 'approval_request'
  | 'permission_denied'
  | 'result'
  | 'usage'
  | 'notice'
  | 'error'
  | 'raw'

/** Longest text kept in one message or metadata field. */
export const MAX_FIELD = 16_000

export function agentEvent(
  runner: AgentRunner,
  type: AgentEventType,
  message: string,
  fields: JsonObject = {},
  kind: EventKind = type === 'error' ? 'error' : 'stdout',
): NewEvent {
  return { kind, message, metadata: { category: 'agent', type, runner, ...fields } }
}

/** Collects the events and signals produced while handling one line or command. */
export class OutputBuilder {
  readonly events: NewEvent[] = []
  readonly signals: AgentSignal[] = []

  constructor(private readonly runner: AgentRunner) {}

  event(type: AgentEventType, message: string, fields?: JsonObject, kind?: EventKind): this {
    this.events.push(agentEvent(this.runner, type, message, fields, kind))
    return this
  }

  signal(signal: AgentSignal): this {
    this.signals.push(signal)
    return this
  }

  done(): AgentOutput {
    return { events: this.events, signals: this.signals }
  }
}
