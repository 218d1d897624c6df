import { randomUUID } from 'node:crypto'
import {
  type ClaimBody,
  type EventBatchBody,
  type JsonObject,
  type NewEvent,
  type OutcomeBody,
  policyInForce,
  RUNNER_LABELS,
} from '../domain'
import { conflict, notFound } from '../errors'
import { snapshotRef } from '../git/remote-snapshot'
import { locateRepoWithHead } from '../git/repo'
import type { ExitOutcome } from '../machines/task-machine'
import type { RemoteAttempt } from '../storage/runner-hosts'
import type { Outcome } from '../workers/run-record'
import type { HostDeps } from './deps'
import { mismatch } from './placement'
import type { AuthenticatedHost } from './registry'
import { remoteRecord } from './remote-outcome'
import type { RemoteRuns } from './remote-runs'
import { applySignal } from './remote-signals'
import { repositoryName } from './repository-name'

/** An outcome as stored for comparing a replay: its fields in a fixed order. */
const canonical = (body: OutcomeBody): string =>
  JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => a.localeCompare(b))))

/** What the host said of an event; whether it is late is the control plane's to say. */
const hostMetadata = (metadata: JsonObject | null | undefined): JsonObject => {
  const { late: _, ...rest } = metadata ?? {}
  return rest
}

/**
 * The runner protocol's attempts: a host claims a queued task's run (the attempt is created with
 * the host's id, through the lifecycle like a local claim), streams the attempt's events back
 * (idempotent by the runner's own seq; task seqs come from the event log) and reports its outcome
 * once (a replay of the same report is accepted and changes nothing). A host sees and touches
 * only its own attempts: another host's is "not found".
 */
export class RemoteAttempts {
  constructor(
    private readonly deps: HostDeps,
    private readonly remote: RemoteRuns,
  ) {}

  async claim(host: AuthenticatedHost, body: ClaimBody) {
    const { store, lifecycle } = this.deps
    if (host.registered_at === null)
      throw conflict('not_registered', `runner host ${host.name} must register before it claims`)
    const task = store.tasks.get(body.task_id)
    if (!task) throw notFound('task', body.task_id)
    if (!this.remote.isRemote(task))
      throw conflict('runs_locally', `task ${task.id} runs on the control plane, not on a runner host`)
    const policy = policyInForce(task)
    const why = mismatch(host, {
      runner: task.runner,
      runner_labels: task.runner_labels,
      require_sandbox: policy.require_sandbox,
    })
    if (why !== null)
      throw conflict('placement_mismatch', `runner host ${host.name} cannot run task ${task.id}: ${why}`)
    const running = store.runnerHosts.liveAttempts(host.id).length
    if (running >= host.slots)
      throw conflict('no_free_slot', `runner host ${host.name} has all its ${host.slots} slot(s) in use`)
    const repository = await locateRepoWithHead(task.workspace)
    const baseCommit = task.base_commit ?? repository?.head ?? null
    const continueFrom = await this.remote.continuedFrom(task, body.run)
    // A follow-up placed while its worktree's host was not live went to every host; that host being
    // live again by now does not refuse another one, which continues from the snapshot instead.
    const pinned = this.remote.pinnedHost(task.id, body.run)
    if (pinned !== null && pinned !== host.id && continueFrom === null)
      throw conflict(
        'session_on_other_host',
        `run ${body.run} of task ${task.id} continues an agent session that lives on another runner host`,
      )
    // A claim shows the host alive, as a heartbeat does: one whose heartbeat came late (lost, its
    // attempts failed) is online again with a new lease. Refusing it would lose the run, whose job
    // the host has taken off the broker. Renewed here, after the wait and with nothing awaited
    // until the attempt exists: the sweeper cannot find the attempt on a lost host (which it would
    // never fail).
    if (!store.runnerHosts.renewLease(host.id, Date.now() + this.deps.config.runnerLeaseMs))
      throw conflict('host_revoked', `runner host ${host.name} was revoked`)
    // Checked after the wait: a start, stop or another host's claim may have come in between.
    const snapshot = lifecycle.snapshot(task.id)
    if (!snapshot.can({ type: 'CLAIM' }) || snapshot.context.starts !== body.run)
      throw conflict('not_claimable', `run ${body.run} of task ${task.id} is not waiting to be claimed`)
    const record = remoteRecord(this.deps, { id: randomUUID(), task_id: task.id }, host.id)
    const input = record.claim(task, body.run, `${RUNNER_LABELS[task.runner]} (on runner host ${host.name})`)
    if (task.base_commit === null && baseCommit !== null)
      store.tasks.patch(task.id, { base_commit: baseCommit }, new Date().toISOString())
    // The host makes the worktree; its work comes back as a snapshot ref, which review reads.
    record.workspace(
      { ...task, base_commit: task.base_commit ?? baseCommit },
      {
        isolated: true,
        worktreePath: null,
        executionDir: task.workspace,
        baseCommit,
        repoRoot: repository?.root ?? null,
        gitDir: null,
        sharedObjects: null,
        note: `Runs on runner host ${host.name} in a worktree of its own; its work comes back as ${snapshotRef(record.attemptId)}`,
      },
    )
    return {
      attempt_id: record.attemptId,
      attempt_number: record.attemptNumber,
      task_id: task.id,
      run: body.run,
      title: task.title,
      runner: task.runner,
      command: task.command,
      prompt: input.prompt,
      resume_session_id: input.resumeSessionId,
      model: task.model,
      budget_minutes: task.budget_minutes,
      policy,
      base_commit: baseCommit,
      repository: `/git/${repositoryName(task.workspace)}.git`,
      cost_ledger: task.cost_ledger,
      fresh_worktree: task.worktree_cleaned_at !== null,
      continue_from: continueFrom && {
        attempt_id: continueFrom.attempt_id,
        commit: continueFrom.commit,
        task_prompt: task.prompt,
      },
      runner_host: host.name,
    }
  }

  /**
   * Stores a batch of the attempt's events and applies its signals, in their order: what it had
   * already is skipped, a gap refused. Each stretch of events, and each signal, commits with the
   * runner seq it reaches, so a batch cut short by a crash resumes exactly where it stopped.
   */
  events(host: AuthenticatedHost, attemptId: string, body: EventBatchBody): { acked: number } {
    const { store, eventLog, redaction } = this.deps
    const attempt = this.own(host, attemptId)
    const acked = attempt.runner_seq
    if (body.from > acked + 1)
      throw conflict(
        'event_gap',
        `attempt ${attemptId} expects runner seq ${acked + 1} next, got ${body.from}`,
        {
          expected: acked + 1,
        },
      )
    const last = body.from + body.events.length - 1
    if (last <= acked) return { acked }
    // Ended here without its host's word (the host was lost, say): what the host still sends,
    // until its report, is what the run did meanwhile; it is kept, marked late, after the failure.
    const late = attempt.finished_at !== null
    if (late && attempt.remote_outcome !== null)
      throw conflict('attempt_ended', `attempt ${attemptId} has ended; it takes no more events`, { acked })
    const task = store.tasks.get(attempt.task_id)
    if (!task) throw notFound('attempt', attemptId)
    const policy = policyInForce(task)
    const seqUpTo = (seq: number) => () => store.runnerHosts.setRunnerSeq(attemptId, seq)
    const target = { record: remoteRecord(this.deps, attempt, host.id), taskId: task.id, attemptId }
    let stretch: NewEvent[] = []
    let seq = acked
    let stored = acked
    const flush = () => {
      if (stretch.length > 0) eventLog.commit(attempt.task_id, stretch, seqUpTo(seq))
      else if (seq > stored) seqUpTo(seq)()
      stored = seq
      stretch = []
    }
    for (const item of body.events.slice(acked + 1 - body.from)) {
      if ('signal' in item) {
        // An ended attempt's signals (it waits for input, it asks for approval) change nothing
        // any more: their seq is committed with what comes next. What it spent was still spent.
        if (late && item.signal.type !== 'charge') {
          seq++
          continue
        }
        flush()
        seq++
        applySignal(this.deps, target, item.signal, seqUpTo(seq))
        stored = seq
        continue
      }
      seq++
      stretch.push({
        kind: item.kind,
        attempt_id: attemptId,
        // Hosts redact too; the control plane does not rely on it.
        message: redaction.text(policy, item.message),
        metadata: {
          ...hostMetadata(item.metadata),
          runner_seq: seq,
          runner_host: host.name,
          ...(item.at ? { runner_at: item.at } : {}),
          ...(late ? { late: true } : {}),
        },
      })
    }
    flush()
    return { acked: last }
  }

  /** Records how the attempt ended, once; the same report again is accepted, a different one refused. */
  outcome(host: AuthenticatedHost, attemptId: string, body: OutcomeBody) {
    const { store } = this.deps
    const attempt = this.own(host, attemptId)
    const report = canonical(body)
    const answer = () => ({
      attempt_id: attemptId,
      status: store.attempts.get(attemptId)?.status ?? attempt.status,
    })
    if (attempt.remote_outcome !== null) {
      if (attempt.remote_outcome === report) return { ...answer(), recorded: false }
      throw conflict('outcome_conflict', `attempt ${attemptId} already reported a different outcome`)
    }
    if (attempt.finished_at !== null) {
      const summary = store.attempts.get(attemptId)?.summary
      this.noteLateReport(host, attempt, body, report)
      throw conflict(
        'attempt_ended',
        `attempt ${attemptId} has already ended${summary ? `: ${summary}` : ''}`,
      )
    }
    remoteRecord(this.deps, attempt, host.id).recordOutcome(this.toOutcome(host, body, report, attemptId))
    return { ...answer(), recorded: true }
  }

  /**
   * A report of an attempt that had ended here already (its host was lost, revoked, or restarted
   * without it) is not its outcome, but what the host says happened (that it ended the run when it
   * came back, say) goes on the task's timeline, once: the report is kept like an outcome, so a
   * replay is recognised.
   */
  private noteLateReport(host: AuthenticatedHost, attempt: RemoteAttempt, body: OutcomeBody, report: string) {
    const { store, eventLog, redaction } = this.deps
    const task = store.tasks.get(attempt.task_id)
    if (!task) return
    const event: NewEvent = {
      kind: 'lifecycle',
      attempt_id: attempt.id,
      message: `Runner host ${host.name} reported after the attempt had ended: ${redaction.text(policyInForce(task), body.summary)}`,
      metadata: {
        category: 'late-report',
        runner_host: host.name,
        exit_status: body.exit_status,
        stopped: body.stopped ?? false,
        // Its last snapshot, if it pushed one, is what the failed task's diff shows.
        has_changes: body.has_changes,
      },
    }
    eventLog.commit(task.id, [event], () => store.runnerHosts.setRemoteOutcome(attempt.id, report))
  }

  private toOutcome(host: AuthenticatedHost, body: OutcomeBody, report: string, attemptId: string): Outcome {
    const failed = body.exit_code !== 0
    const exit: ExitOutcome = failed ? 'failed' : body.has_changes ? 'changes' : 'no-changes'
    const stat = body.diff_stat ?? null
    return {
      event: body.stopped ? { type: 'STOP' } : { type: 'EXIT', outcome: exit },
      summary: body.summary,
      category: body.stopped ? 'attempt-stopped' : failed ? 'attempt-failed' : 'attempt-completed',
      exitText: body.exit_status,
      runtimeMillis: body.runtime_millis,
      diff: {
        kind: 'diff',
        attempt_id: attemptId,
        message: body.has_changes && stat ? stat : 'No file changes.',
        metadata: { category: 'diff', has_changes: body.has_changes },
      },
      diffStat: { has_changes: body.has_changes, stat: stat ?? '' },
      metadata: { exit_status: body.exit_status, has_changes: body.has_changes, runner_host: host.name },
      stopReason: body.stopped ? 'user' : null,
      write: () => this.deps.store.runnerHosts.setRemoteOutcome(attemptId, report),
    }
  }

  /** The attempt, if it is this host's; any other is "not found" (a host learns nothing of others). */
  private own(host: AuthenticatedHost, attemptId: string): RemoteAttempt {
    const attempt = this.deps.store.runnerHosts.remoteAttempt(attemptId)
    if (!attempt || attempt.runner_host_id !== host.id) throw notFound('attempt', attemptId)
    return attempt
  }
}
