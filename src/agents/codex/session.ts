import { stripVTControlCharacters } from 'node:util'
import { commandLabel } from '../describe'
import { MAX_FIELD, OutputBuilder } from '../events'
import { arr, clip, isObject, type Json, num, obj, parseJsonObject, str } from '../json'
import type { AgentIO, AgentOutput, AgentSession, ApprovalAnswer, SessionRequest } from '../types'
import { emitUsage } from '../usage'
import { itemCompleted, itemStarted } from './items'
import { codexCostUsd, type PriceTable } from './pricing'
import { UnstreamedCommands } from './unstreamed-commands'
import { CodexUsageMeter } from './usage'

type RpcId = number | string
type ResponseHandler = (message: Json, out: OutputBuilder) => void

const CLIENT_INFO = { name: 'openruntime', title: 'openRuntime', version: '0.1.0' }

/** Notifications that carry nothing the timeline needs (progress deltas, status mirrors, UI state). */
const IGNORED = new Set([
  'thread/started',
  'thread/status/changed',
  'thread/goal/cleared',
  'thread/goal/updated',
  'thread/settings/updated',
  'thread/name/updated',
  'thread/readState/changed',
  'thread/queue/changed',
  'thread/compacted',
  'turn/diff/updated',
  'turn/plan/updated',
  'turn/moderationMetadata',
  'account/rateLimits/updated',
  'account/updated',
  'app/list/updated',
  'remoteControl/status/changed',
  'mcpServer/startupStatus/updated',
  'skills/changed',
  'hook/started',
  'hook/completed',
  'item/mcpToolCall/progress',
  'item/fileChange/patchUpdated',
  'item/commandExecution/terminalInteraction',
  'item/reasoning/summaryPartAdded',
  'rawResponse/completed',
])

const NOTICES = new Set([
  'warning',
  'configWarning',
  'deprecationNotice',
  'guardianWarning',
  'model/rerouted',
])

/** Drives one `codex app-server` process: a JSON-RPC client (without the "jsonrpc" field) over stdio. */
export class CodexSession implements AgentSession {
  private nextId = 1
  private readonly pending = new Map<RpcId, ResponseHandler>()
  private threadId: string | null = null
  private model: string | null = null
  private activeTurnId: string | null = null
  private modelCalls = 0
  /** Turns started by this process; usage tagged with any other turn is a replayed total. */
  private readonly ownTurns = new Set<string>()
  /** Prompts waiting for the thread to exist. */
  private readonly queued: string[] = []
  /** Our approval ids (strings) mapped to the JSON-RPC ids Codex expects back. */
  private readonly approvals = new Map<string, RpcId>()
  /** Changes of file-change items seen starting, to show what a file-change approval is about. */
  private readonly fileChanges = new Map<string, unknown>()
  private readonly unstreamed = new UnstreamedCommands()
  private readonly usage: CodexUsageMeter

  constructor(
    private readonly request: SessionRequest,
    private readonly io: AgentIO,
    private readonly prices?: PriceTable,
  ) {
    this.usage = new CodexUsageMeter(Boolean(request.resumeSessionId))
  }

  begin(prompt: string): void {
    this.queued.push(prompt)
    this.call(
      'initialize',
      // The experimental API is what lets a thread opt into raw events (see unstreamed-commands.ts).
      { clientInfo: CLIENT_INFO, capabilities: { experimentalApi: true, requestAttestation: false } },
      (message, out) => {
        if (this.failed(message, out, 'initialize')) return
        this.notify('initialized')
        this.openThread()
      },
    )
  }

  sendUserTurn(text: string): void {
    if (this.threadId) this.startTurn(text)
    else this.queued.push(text)
  }

  interrupt(): boolean {
    if (!this.threadId || !this.activeTurnId) return false
    this.call('turn/interrupt', { threadId: this.threadId, turnId: this.activeTurnId }, (message, out) => {
      this.failed(message, out, 'turn/interrupt')
    })
    return true
  }

  answerApproval(requestId: string, answer: ApprovalAnswer): boolean {
    const rpcId = this.approvals.get(requestId)
    if (rpcId === undefined) return false
    this.approvals.delete(requestId)
    this.write({ id: rpcId, result: { decision: answer.allow ? 'accept' : 'decline' } })
    return true
  }

  onStdoutLine(line: string): AgentOutput {
    const out = new OutputBuilder('codex')
    const message = parseJsonObject(line)
    if (!message) {
      if (line.trim()) out.event('raw', clip(line, MAX_FIELD))
      return out.done()
    }
    const method = str(message.method)
    const id = message.id as RpcId | undefined
    if (method && id !== undefined) this.serverRequest(method, id, obj(message.params), out)
    else if (method) this.notification(method, obj(message.params), line, out)
    else if (id !== undefined && this.pending.has(id)) {
      const handle = this.pending.get(id)
      this.pending.delete(id)
      handle?.(message, out)
    } else out.event('raw', clip(line, MAX_FIELD))
    return out.done()
  }

  onStderrLine(line: string): AgentOutput {
    const out = new OutputBuilder('codex')
    // NO_COLOR is not honoured by every log line.
    const text = stripVTControlCharacters(line)
    if (text.trim()) out.event('raw', clip(text, MAX_FIELD), {}, 'stderr')
    return out.done()
  }

  private openThread(): void {
    const approvalPolicy = this.request.permissionMode === 'supervised' ? 'on-request' : 'never'
    const params: Json = { cwd: this.request.cwd, approvalPolicy, sandbox: 'workspace-write' }
    if (this.request.model) params.model = this.request.model
    const resume = this.request.resumeSessionId
    const method = resume ? 'thread/resume' : 'thread/start'
    // excludeTurns: the history stays on disk; hydrating it into the reply is deprecated and large.
    // Raw events carry the commands Codex does not stream; a resumed thread cannot opt into them.
    const fullParams = resume
      ? { ...params, threadId: resume, excludeTurns: true }
      : { ...params, experimentalRawEvents: true }
    this.call(method, fullParams, (message, out) => {
      if (this.failed(message, out, method)) {
        // Each waiting prompt was a turn the supervisor expects an end for.
        const dropped = this.queued.splice(0)
        for (let i = 0; i < dropped.length; i++) out.signal({ type: 'turn-complete', isError: true })
        return
      }
      const result = obj(message.result)
      const threadId = str(obj(result.thread).id)
      if (!threadId) {
        out.event('error', `Codex answered ${method} without a thread id`)
        return
      }
      this.threadId = threadId
      this.model = str(result.model) ?? this.request.model ?? null
      out
        .signal({ type: 'session', id: threadId })
        .event('session', `Session ${threadId}`, { session_id: threadId })
      for (const prompt of this.queued.splice(0)) this.startTurn(prompt)
    })
  }

  private startTurn(text: string): void {
    const input = [{ type: 'text', text, text_elements: [] }]
    this.call('turn/start', { threadId: this.threadId, input }, (message, out) => {
      if (this.failed(message, out, 'turn/start')) {
        out.signal({ type: 'turn-complete', isError: true })
        return
      }
      this.noteTurn(str(obj(obj(message.result).turn).id))
    })
  }

  private noteTurn(turnId: string | undefined): void {
    if (!turnId || this.ownTurns.has(turnId)) return
    this.ownTurns.add(turnId)
    this.activeTurnId = turnId
    this.modelCalls = 0
  }

  private notification(method: string, params: Json, line: string, out: OutputBuilder): void {
    if (IGNORED.has(method) || /delta$/i.test(method)) return
    switch (method) {
      case 'turn/started':
        this.noteTurn(str(obj(params.turn).id))
        return
      case 'turn/completed':
        this.turnCompleted(obj(params.turn), out)
        return
      case 'item/started': {
        const item = obj(params.item)
        this.unstreamed.noteItem(item)
        if (item.type === 'fileChange' && str(item.id)) this.fileChanges.set(String(item.id), item.changes)
        itemStarted(item, out)
        return
      }
      case 'item/completed': {
        const item = obj(params.item)
        this.unstreamed.noteItem(item)
        this.fileChanges.delete(str(item.id) ?? '')
        itemCompleted(item, out, this.request.cwd)
        return
      }
      case 'rawResponseItem/completed': {
        const command = this.unstreamed.rawItem(obj(params.item))
        if (command) {
          out.signal({ type: 'tool-call' })
          itemCompleted(command, out, this.request.cwd)
        }
        return
      }
      case 'thread/tokenUsage/updated':
        this.tokenUsage(params, out)
        return
      case 'serverRequest/resolved': {
        // Still pending means Codex withdrew it (e.g. the turn was interrupted) before we answered.
        const requestId = String(params.requestId)
        if (this.approvals.delete(requestId))
          out.event('notice', 'The agent withdrew its approval request', { request_id: requestId })
        return
      }
      case 'error': {
        const error = obj(params.error)
        const text = str(error.message) ?? 'Codex reported an error'
        if (params.willRetry === true) out.event('notice', `${text} (retrying)`)
        else out.event('error', clip(text, MAX_FIELD), { details: str(error.additionalDetails) ?? null })
        return
      }
    }
    if (NOTICES.has(method)) {
      const text = str(params.message) ?? str(params.summary) ?? JSON.stringify(params)
      out.event('notice', clip(text, MAX_FIELD))
      return
    }
    out.event('raw', clip(line, MAX_FIELD))
  }

  private turnCompleted(turn: Json, out: OutputBuilder): void {
    if (turn.id === this.activeTurnId) this.activeTurnId = null
    const status = str(turn.status) ?? 'completed'
    const durationMs = num(turn.durationMs)
    const errorText = str(obj(turn.error).message)
    const calls = this.modelCalls
    const message =
      status === 'completed'
        ? `Turn completed (${calls} model ${calls === 1 ? 'call' : 'calls'}, ${durationMs} ms)`
        : status === 'interrupted'
          ? 'Turn interrupted'
          : `Turn failed${errorText ? `: ${errorText}` : ''}`
    out
      .event('result', clip(message, 500), {
        turns: calls,
        duration_ms: durationMs,
        is_error: status === 'failed',
        status,
      })
      .signal({ type: 'turn-complete', isError: status !== 'completed' })
  }

  private tokenUsage(params: Json, out: OutputBuilder): void {
    const own = this.ownTurns.has(str(params.turnId) ?? '')
    const delta = this.usage.update(obj(params.tokenUsage), own)
    if (!delta) return
    this.modelCalls++
    const cost = this.model ? codexCostUsd(this.model, delta, this.prices) : undefined
    emitUsage(out, delta, cost)
  }

  private serverRequest(method: string, rpcId: RpcId, params: Json, out: OutputBuilder): void {
    const id = String(rpcId)
    const reason = str(params.reason) ?? null
    if (method === 'item/commandExecution/requestApproval') {
      const command = str(params.command) ?? ''
      const input = { command, cwd: str(params.cwd) ?? null, reason }
      this.approvals.set(id, rpcId)
      out
        .signal({ type: 'approval-request', id, tool: 'Bash', input })
        .event('approval_request', `Approval needed: ${commandLabel(command)}`, {
          request_id: id,
          tool: 'Bash',
          input,
          call_id: str(params.itemId) ?? null,
          reason,
        })
      return
    }
    if (method === 'item/fileChange/requestApproval') {
      const itemId = str(params.itemId) ?? ''
      const paths = arr(this.fileChanges.get(itemId)).map((change) => str(obj(change).path) ?? '?')
      const input = { paths, grant_root: str(params.grantRoot) ?? null, reason }
      this.approvals.set(id, rpcId)
      out
        .signal({ type: 'approval-request', id, tool: 'apply_patch', input })
        .event('approval_request', clip(`Approval needed: change ${paths.join(', ') || 'files'}`, 500), {
          request_id: id,
          tool: 'apply_patch',
          input,
          call_id: itemId || null,
          reason,
        })
      return
    }
    // Anything else (user questions, elicitation, dynamic tools, auth refresh) would wait forever.
    this.write({ id: rpcId, error: { code: -32601, message: `openRuntime does not handle ${method}` } })
    out.event('notice', `Declined an unsupported request from Codex (${method})`)
  }

  /** Reports a JSON-RPC error answer; true when there was one. */
  private failed(message: Json, out: OutputBuilder, method: string): boolean {
    if (!isObject(message.error)) return false
    out.event(
      'error',
      clip(`Codex rejected ${method}: ${str(message.error.message) ?? 'unknown error'}`, MAX_FIELD),
    )
    return true
  }

  private call(method: string, params: Json, handle: ResponseHandler): void {
    const id = this.nextId++
    this.pending.set(id, handle)
    this.write({ method, id, params })
  }

  private notify(method: string): void {
    this.write({ method })
  }

  private write(message: Json): void {
    this.io.writeLine(JSON.stringify(message))
  }
}
