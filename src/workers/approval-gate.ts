import { randomUUID } from 'node:crypto'
import type { AgentSession, AgentSignal, ApprovalAnswer } from '../agents'
import { describeToolCall } from '../agents/describe'
import type { ApprovalDecision, ApprovalStatus, ToolApproval } from '../domain'
import { now } from '../domain'
import type { ApprovalGate, ExecutorContext } from './executors/executor'
import type { Redaction } from './redaction'

/** Where a gate keeps its approvals: the task database's table, or a runner host's relay of it. */
export interface ApprovalBook {
  insert(approval: Omit<ToolApproval, 'status' | 'decided_by' | 'decided_at' | 'message'>): ToolApproval
  pending(attemptId: string): ToolApproval[]
  /** Records the answer; false when the approval was no longer pending. */
  decide(id: string, decision: ApprovalDecision): boolean
}

type ApprovalRequest = Extract<AgentSignal, { type: 'approval-request' }>

/** What the gate needs of its run. */
type GateRun = Pick<
  ExecutorContext,
  'task' | 'policy' | 'attemptId' | 'executionDir' | 'record' | 'needInput' | 'resume'
>

/**
 * The tool approvals of one agent attempt. Each request is stored (so it survives a reload and
 * shows in GET /tasks/{id}/approvals; on a runner host, its book relays it to the control plane,
 * which stores it), moves the task to needs-input, and is answered by a user
 * or, after the policy's timeout, denied. The task runs again once nothing is pending.
 */
export class StoredApprovals implements ApprovalGate {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()

  constructor(
    private readonly ctx: GateRun,
    private readonly book: ApprovalBook,
    private readonly session: AgentSession,
    private readonly redaction: Redaction,
  ) {}

  get pendingCount(): number {
    return this.timers.size
  }

  request(signal: ApprovalRequest): void {
    const { ctx } = this
    // What is stored and shown is redacted; the agent gets its own input back when allowed.
    const input = this.redaction.value(ctx.policy, signal.input)
    const approval = this.book.insert({
      id: randomUUID(),
      task_id: ctx.task.id,
      attempt_id: ctx.attemptId,
      request_id: signal.id,
      tool: signal.tool,
      input,
      created_at: now(),
    })
    const seconds = ctx.policy.approval_timeout_seconds
    this.timers.set(
      approval.id,
      setTimeout(() => this.expire(approval), seconds * 1000),
    )
    const reason = `Approval needed: ${describeToolCall(signal.tool, input, ctx.executionDir)}`
    ctx.needInput(reason, { reason, source: 'approval', approval_id: approval.id, tool: signal.tool })
  }

  /** A user's answer; false when the agent no longer waits for it (withdrawn, or the turn ended). */
  answer(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean {
    if (!this.timers.has(approval.id)) return false
    if (!this.session.answerApproval(approval.request_id, answer)) {
      this.close(approval, 'expired', 'openRuntime', 'the agent no longer waits for this answer')
      return false
    }
    const status = answer.allow ? 'allowed' : 'denied'
    this.close(approval, status, by, answer.message?.trim() || null)
    return true
  }

  /** The agent withdrew a request (e.g. its turn was interrupted). */
  withdrawn(requestId: string): void {
    const approval = this.book.pending(this.ctx.attemptId).find((a) => a.request_id === requestId)
    if (approval) this.close(approval, 'expired', 'openRuntime', 'withdrawn by the agent')
  }

  /** The run is ending: nothing can answer what is still pending, and the task does not resume. */
  dispose(): void {
    for (const approval of this.book.pending(this.ctx.attemptId))
      this.close(approval, 'expired', 'openRuntime', 'the run ended before an answer', false)
  }

  private expire(approval: ToolApproval): void {
    const seconds = this.ctx.policy.approval_timeout_seconds
    const message = `No answer within ${seconds} second${seconds === 1 ? '' : 's'}; denied`
    if (this.session.answerApproval(approval.request_id, { allow: false, message }))
      this.close(approval, 'expired', 'openRuntime', message)
    else this.close(approval, 'expired', 'openRuntime', 'the agent no longer waits for this answer')
  }

  private close(
    approval: ToolApproval,
    status: ApprovalStatus,
    by: string,
    message: string | null,
    resume = true,
  ): void {
    clearTimeout(this.timers.get(approval.id))
    this.timers.delete(approval.id)
    const at = now()
    if (!this.book.decide(approval.id, { status, decided_by: by, decided_at: at, message })) return
    this.ctx.record({
      kind: status === 'expired' ? 'lifecycle' : 'input',
      message: `Tool use ${status}: ${approval.tool}${message ? ` (${message})` : ''}`,
      metadata: {
        category: 'approval',
        approval_id: approval.id,
        request_id: approval.request_id,
        tool: approval.tool,
        status,
        decided_by: by,
        decided_at: at,
        message,
      },
    })
    if (resume && this.timers.size === 0) this.ctx.resume(`tool use ${status}`)
  }
}
