import type { JsonObject, RunnerSignal } from '../domain'
import { conflict } from '../errors'
import type { Also, RunRecord } from '../workers/run-record'
import type { HostDeps } from './deps'

/** The attempt a signal is about: its record (the writer a local run uses) and its task. */
export interface SignalTarget {
  record: RunRecord
  taskId: string
  attemptId: string
}

/**
 * Applies what an agent on a runner host signalled, as the same writes a local run makes (its
 * session, its ledger, needs-input and running again, its tool approvals), each committed together
 * with `also` (the attempt's runner seq): a signal the host sends again is recognised by its seq
 * and never applied twice.
 */
export function applySignal(deps: HostDeps, target: SignalTarget, signal: RunnerSignal, also: Also): void {
  const { store } = deps
  const { record } = target
  switch (signal.type) {
    case 'session':
      record.session(signal.session_id, also)
      return
    case 'charge':
      record.charge(signal.delta, also)
      return
    case 'needs-input':
      record.needInput(signal.reason, signal.metadata as JsonObject, also)
      return
    case 'resume':
      record.resume(signal.why, also)
      return
    case 'approval-request': {
      const policy = store.tasks.get(target.taskId)
      const input = policy
        ? deps.redaction.value(policy.effective_policy ?? policy.policy, signal.input)
        : null
      store.transaction(() => {
        // The host's own id for it: a command answering it names what the host knows. One that
        // names another task's approval is refused (a host makes fresh UUIDs).
        const known = store.approvals.exists(signal.approval_id)
        if (known && store.approvals.get(target.taskId, signal.approval_id)?.attempt_id !== target.attemptId)
          throw conflict('approval_id_taken', `approval id ${signal.approval_id} belongs to another attempt`)
        if (!known)
          store.approvals.insert({
            id: signal.approval_id,
            task_id: target.taskId,
            attempt_id: target.attemptId,
            request_id: signal.request_id,
            tool: signal.tool,
            input,
            created_at: new Date().toISOString(),
          })
        also(new Date().toISOString())
      })
      return
    }
    case 'approval-closed': {
      const at = new Date().toISOString()
      const decision = {
        status: signal.status,
        decided_by: signal.by,
        decided_at: at,
        message: signal.message,
      }
      store.transaction(() => {
        const approval = store.approvals.get(target.taskId, signal.approval_id)
        // A user's answer is recorded when it is given; the host's word counts where the agent
        // was told otherwise (the host's timeout denied it first) or nobody answered.
        if (approval && approval.attempt_id === target.attemptId && approval.status !== signal.status)
          store.approvals.overrule(approval.id, decision)
        also(at)
      })
    }
  }
}
