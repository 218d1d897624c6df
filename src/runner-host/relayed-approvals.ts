import type { ApprovalDecision, RunnerSignal, ToolApproval } from '../domain'
import type { ApprovalBook } from '../workers/approval-gate'

/**
 * A runner host's book of one attempt's tool approvals, for the same gate a local run uses
 * (workers/approval-gate.ts): kept here while the agent waits, and every request and every end
 * of one relayed to the control plane as a signal in the attempt's sequence, where the approval
 * is stored and shown. The control plane's answer comes back as a command (see `find`).
 */
export class RelayedApprovalBook implements ApprovalBook {
  private readonly approvals = new Map<string, ToolApproval>()

  constructor(private readonly relay: (signal: RunnerSignal) => void) {}

  insert(approval: Omit<ToolApproval, 'status' | 'decided_by' | 'decided_at' | 'message'>): ToolApproval {
    const stored: ToolApproval = {
      ...approval,
      status: 'pending',
      decided_by: null,
      decided_at: null,
      message: null,
    }
    this.approvals.set(stored.id, stored)
    this.relay({
      type: 'approval-request',
      approval_id: stored.id,
      request_id: stored.request_id,
      tool: stored.tool,
      input: stored.input,
    })
    return stored
  }

  pending(attemptId: string): ToolApproval[] {
    return [...this.approvals.values()].filter(
      (approval) => approval.attempt_id === attemptId && approval.status === 'pending',
    )
  }

  decide(id: string, decision: ApprovalDecision): boolean {
    const approval = this.approvals.get(id)
    if (approval?.status !== 'pending' || decision.status === 'pending') return false
    this.approvals.set(id, { ...approval, ...decision })
    this.relay({
      type: 'approval-closed',
      approval_id: id,
      status: decision.status,
      by: decision.decided_by ?? 'openRuntime',
      message: decision.message,
    })
    return true
  }

  /** The approval a command answers, if this attempt asked for it and it still waits. */
  find(id: string): ToolApproval | null {
    const approval = this.approvals.get(id)
    return approval?.status === 'pending' ? approval : null
  }
}
