import type { AttemptRecord } from '../domain'
import { type Outcome, RunRecord } from '../workers/run-record'
import type { HostDeps } from './deps'

/** The record of an attempt that runs on a runner host: the same writer as a local run's. */
export function remoteRecord(
  deps: HostDeps,
  attempt: Pick<AttemptRecord, 'id' | 'task_id'>,
  hostId: string,
): RunRecord {
  const record = new RunRecord(deps, attempt.task_id, attempt.id, hostId)
  record.attemptNumber = deps.store.attempts.get(attempt.id)?.attempt_number ?? 0
  return record
}

/** Why nothing will report on a host's attempt any more, as the attempt's summary says it. */
const CAUSES = {
  lost: 'lost',
  revoked: 'revoked',
  restarted: 'restarted',
  // Its heartbeats leave it out: the host never got the claim's answer (or dropped the run).
  unheld: 'does not hold it',
} as const
export type FailureCause = keyof typeof CAUSES

/**
 * Fails a host's attempt that nothing will report on any more (its host lost or revoked), through
 * the lifecycle like a local run's failure; an attempt whose task moved on already is left alone.
 */
export function failRemoteAttempt(
  deps: HostDeps,
  attempt: Pick<AttemptRecord, 'id' | 'task_id'>,
  host: { id: string; name: string },
  why: FailureCause,
): boolean {
  if (!deps.lifecycle.can(attempt.task_id, { type: 'FAIL' })) return false
  const summary = `runner host ${host.name} ${CAUSES[why]}`
  const outcome: Outcome = {
    event: { type: 'FAIL' },
    summary,
    category: 'attempt-failed',
    exitText: null,
    stopReason: null,
    metadata: { reason: `runner-host-${why}`, runner_host: host.name, runner_host_id: host.id },
    // Nothing can answer its agent any more.
    write: (at) => {
      for (const approval of deps.store.approvals.pending(attempt.id))
        deps.store.approvals.decide(approval.id, {
          status: 'expired',
          decided_by: 'openRuntime',
          decided_at: at,
          message: summary,
        })
    },
  }
  remoteRecord(deps, attempt, host.id).recordOutcome(outcome)
  return true
}
