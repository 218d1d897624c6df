import { describeToolCall } from '../describe'
import { MAX_FIELD, OutputBuilder } from '../events'
import { clip, type Json, num, obj, parseJsonObject, str } from '../json'
import type { AgentIO, AgentOutput, AgentSession, ApprovalAnswer, SessionRequest } from '../types'
import { emitUsage } from '../usage'
import { assistantLine, resultIsError, resultLine, userLine } from './messages'
import { ClaudeUsageMeter } from './usage'

const DEFAULT_DENIAL = 'The supervisor denied this tool use.'

/** Drives one `claude -p --input-format stream-json` process. */
export class ClaudeSession implements AgentSession {
  private sessionId: string | null = null
  /** User turns sent whose `result` has not arrived yet; Claude queues turns sent meanwhile. */
  private openTurns = 0
  private controlCounter = 0
  /** Tool inputs of unanswered approval requests: allowing one must echo the input back. */
  private readonly approvals = new Map<string, unknown>()
  private readonly usage = new ClaudeUsageMeter()

  constructor(
    private readonly request: SessionRequest,
    private readonly io: AgentIO,
  ) {}

  begin(prompt: string): void {
    this.sendUserTurn(prompt)
  }

  sendUserTurn(text: string): void {
    this.openTurns++
    this.write({
      type: 'user',
      message: { role: 'user', content: [{ type: 'text', text }] },
      parent_tool_use_id: null,
      session_id: this.sessionId ?? '',
    })
  }

  interrupt(): boolean {
    if (this.openTurns === 0) return false
    this.write({
      type: 'control_request',
      request_id: this.nextControlId(),
      request: { subtype: 'interrupt' },
    })
    return true
  }

  answerApproval(requestId: string, answer: ApprovalAnswer): boolean {
    if (!this.approvals.has(requestId)) return false
    const input = this.approvals.get(requestId)
    this.approvals.delete(requestId)
    const response = answer.allow
      ? { behavior: 'allow', updatedInput: input }
      : { behavior: 'deny', message: answer.message || DEFAULT_DENIAL }
    this.write({
      type: 'control_response',
      response: { subtype: 'success', request_id: requestId, response },
    })
    return true
  }

  onStdoutLine(line: string): AgentOutput {
    const out = new OutputBuilder('claude-code')
    const parsed = parseJsonObject(line)
    if (!parsed) {
      if (line.trim()) out.event('raw', clip(line, MAX_FIELD))
      return out.done()
    }
    this.noteSession(parsed, out)
    const cwd = this.request.cwd
    switch (parsed.type) {
      case 'system':
        this.systemLine(parsed, line, out)
        break
      case 'assistant':
        assistantLine(parsed, out, cwd)
        break
      case 'user':
        userLine(parsed, out)
        break
      case 'result':
        this.resultLine(parsed, out)
        break
      case 'control_request':
        this.controlRequest(parsed, out)
        break
      case 'control_response':
        this.controlResponse(parsed, out)
        break
      case 'control_cancel_request':
        this.approvals.delete(str(parsed.request_id) ?? '')
        out.event('notice', 'The agent withdrew its approval request', {
          request_id: str(parsed.request_id) ?? null,
        })
        break
      default:
        out.event('raw', clip(line, MAX_FIELD))
    }
    return out.done()
  }

  onStderrLine(line: string): AgentOutput {
    const out = new OutputBuilder('claude-code')
    if (line.trim()) out.event('raw', clip(line, MAX_FIELD), {}, 'stderr')
    return out.done()
  }

  private noteSession(line: Json, out: OutputBuilder): void {
    const id = str(line.session_id)
    if (!id || id === this.sessionId) return
    this.sessionId = id
    out.signal({ type: 'session', id }).event('session', `Session ${id}`, { session_id: id })
  }

  private systemLine(line: Json, raw: string, out: OutputBuilder): void {
    switch (line.subtype) {
      case 'init':
        // Repeated at every turn; the session id (handled above) is all it adds.
        return
      case 'api_retry':
        out.event(
          'notice',
          `API request failed (status ${line.error_status ?? '?'}); retry ${num(line.attempt)} of ${num(line.max_retries)}`,
        )
        return
      case 'compact_boundary':
        out.event('notice', 'Conversation compacted')
        return
      default:
        out.event('raw', clip(raw, MAX_FIELD))
    }
  }

  private resultLine(line: Json, out: OutputBuilder): void {
    resultLine(line, out, this.request.cwd)
    const delta = this.usage.fromResult(line)
    emitUsage(out, delta.tokens, delta.costUsd)
    this.openTurns = Math.max(0, this.openTurns - 1)
    out.signal({ type: 'turn-complete', isError: resultIsError(line) })
  }

  private controlRequest(line: Json, out: OutputBuilder): void {
    const requestId = str(line.request_id) ?? ''
    const request = obj(line.request)
    if (request.subtype !== 'can_use_tool') {
      // We register no hooks or SDK tools, so nothing else should come; an unanswered request would hang.
      this.write({
        type: 'control_response',
        response: {
          subtype: 'error',
          request_id: requestId,
          error: `openRuntime does not handle ${request.subtype}`,
        },
      })
      out.event('notice', `Declined an unsupported control request (${str(request.subtype) ?? '?'})`)
      return
    }
    const tool = str(request.tool_name) ?? 'tool'
    const input = request.input ?? {}
    this.approvals.set(requestId, input)
    out
      .signal({ type: 'approval-request', id: requestId, tool, input })
      .event('approval_request', `Approval needed: ${describeToolCall(tool, input, this.request.cwd)}`, {
        request_id: requestId,
        tool,
        input,
        call_id: str(request.tool_use_id) ?? null,
        reason: str(request.decision_reason) ?? str(request.description) ?? null,
      })
  }

  private controlResponse(line: Json, out: OutputBuilder): void {
    const response = obj(line.response)
    if (response.subtype === 'error')
      out.event('error', `Claude refused a control request: ${str(response.error) ?? '?'}`)
  }

  private nextControlId(): string {
    this.controlCounter++
    return `openruntime-${this.controlCounter}`
  }

  private write(message: Json): void {
    this.io.writeLine(JSON.stringify(message))
  }
}
