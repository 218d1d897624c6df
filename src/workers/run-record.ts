import { randomUUID } from 'node:crypto'
import {
  type CostLedger,
  type JsonObject,
  type NewEvent,
  now,
  type RunLimitsRecord,
  type TaskRecord,
} from '../domain'
import type { EventLog } from '../events/event-log'
import type { TaskLifecycle } from '../lifecycle'
import type { ExitOutcome } from '../machines/task-machine'
import type { Store } from '../storage/store'
import { retryRefusedWrite } from '../storage/write-failures'
import type { RunInput } from './executors/executor'
import type { PreparedWorkspace } from './isolation'
import { chargeRun } from './ledger'
import type { StopReason } from './live-runs'

/** Rows committed together with what a record method writes. */
export type Also = (at: string) => void

export type FinishEvent =
  | { type: 'FAIL' }
  | { type: 'STOP' }
  | { type: 'EXIT'; outcome: ExitOutcome }
  /** The checks failed and the fix loop sends the agent another round (a new run). */
  | { type: 'FIX' }

/** How one attempt ended, as its outcome transition records it (its status follows from the machine). */
export interface Outcome {
  event: FinishEvent
  summary: string
  category: string
  exitText: string | null
  runtimeMillis?: number
  diff?: NewEvent
  diffStat?: { has_changes: boolean; stat: string } | null
  metadata?: JsonObject
  /** The limits as they ended (what the cgroup counted). */
  limits?: RunLimitsRecord
  stopReason: StopReason | null
  /** Further events written in the outcome's transaction, after the diff. */
  events?: NewEvent[]
  /** Further rows that commit with the outcome (a runner host's report of it, a fix round's run). */
  write?: (at: string, next: { state: string; context: { starts: number } }) => void
}

export interface RunRecordDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  /** Aborts at shutdown: an outcome storage refuses is then left to the next start's recovery. */
  shutdownSignal: AbortSignal
}

/**
 * Everything a run writes about itself: the attempt row, its events, its ledger and its outcome.
 * The one writer of attempts and outcomes; the run (run.ts) decides, this records.
 */
export class RunRecord {
  attemptNumber = 0

  /**
   * A new attempt of the task, or (given its id) one that exists already, e.g. a runner host's
   * whose outcome arrives over the runner protocol. `runnerHostId` names where it runs: null here.
   */
  constructor(
    private readonly deps: RunRecordDeps,
    readonly taskId: string,
    readonly attemptId: string = randomUUID(),
    private readonly runnerHostId: string | null = null,
  ) {}

  /**
   * CLAIM: the task becomes `running` with a new attempt, and its run leaves the outbox, bringing
   * its input along: a follow-up's reply continues the agent's session, else the task's goal.
   */
  claim(task: TaskRecord, run: number, label: string): RunInput {
    const { store, lifecycle } = this.deps
    this.attemptNumber = (store.attempts.latest(this.taskId)?.attempt_number ?? 0) + 1
    let followUp: string | null = null
    lifecycle.transition(
      this.taskId,
      { type: 'CLAIM' },
      {
        message: `Starting ${label} runner (attempt ${this.attemptNumber})`,
        category: 'attempt-started',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, attempt_number: this.attemptNumber, runner: task.runner },
        write: (at) => {
          followUp = store.outbox.take(this.taskId, run)?.follow_up ?? null
          store.attempts.insert({
            id: this.attemptId,
            task_id: this.taskId,
            runner: task.runner,
            status: 'running',
            execution_workspace: task.execution_workspace,
            runner_session_id: task.runner_session_id,
            started_at: at,
            runner_host_id: this.runnerHostId,
          })
        },
      },
    )
    // A reply to a finished agent continues its session; any other run begins a new one.
    return followUp === null
      ? { prompt: task.prompt, resumeSessionId: null }
      : { prompt: followUp, resumeSessionId: task.runner_session_id }
  }

  /** openRuntime's own events about the run (not its output, which the run caps). */
  note(event: NewEvent): void {
    this.deps.eventLog.append(this.taskId, event, this.attemptId)
  }

  /** PREPARED: where the run works, and whether in a worktree of its own (the machine tracks it). */
  workspace(task: TaskRecord, prepared: PreparedWorkspace): void {
    const { store, lifecycle } = this.deps
    lifecycle.transition(
      this.taskId,
      { type: 'PREPARED', isolated: prepared.isolated },
      {
        message: prepared.note,
        category: 'workspace',
        attempt_id: this.attemptId,
        metadata: { isolated: prepared.isolated, execution_workspace: prepared.executionDir },
        write: (at) => {
          store.tasks.patch(
            this.taskId,
            {
              worktree_path: prepared.worktreePath,
              execution_workspace: prepared.executionDir,
              base_commit: task.base_commit ?? prepared.baseCommit,
            },
            at,
          )
          store.attempts.patch(this.attemptId, {
            execution_workspace: prepared.executionDir,
            isolated: prepared.isolated,
          })
        },
      },
    )
  }

  sandboxed(active: boolean, reason: string, allowedEndpoints: string[] | undefined): void {
    this.deps.store.attempts.patch(this.attemptId, { sandboxed: active })
    this.note({
      kind: 'lifecycle',
      message: reason.charAt(0).toUpperCase() + reason.slice(1),
      metadata: {
        category: 'sandbox',
        sandboxed: active,
        reason,
        ...(allowedEndpoints ? { allowed_endpoints: allowedEndpoints } : {}),
      },
    })
  }

  limits(limits: RunLimitsRecord, message: string): void {
    this.deps.store.attempts.patch(this.attemptId, { limits })
    this.note({ kind: 'lifecycle', message, metadata: { category: 'limits', limits } })
  }

  /** The process is running: its group is recorded, so a crash of the server cannot orphan it. */
  process(pid: number, startedTicks: string | null): void {
    this.deps.store.attempts.markProcess(this.attemptId, pid, startedTicks)
  }

  /**
   * The agent named its session: stored on the attempt and the task with its event, in one unit.
   * `also` (here and below) commits further rows with it: a runner host's seq of the signal.
   */
  session(id: string, also?: Also): void {
    const { store, eventLog } = this.deps
    const known = store.tasks.get(this.taskId)?.runner_session_id === id
    const events: NewEvent[] = known
      ? []
      : [
          {
            kind: 'lifecycle',
            attempt_id: this.attemptId,
            message: `Runner session: ${id}`,
            metadata: { category: 'runner-session', session_id: id },
          },
        ]
    eventLog.commit(this.taskId, events, (at) => {
      store.attempts.patch(this.attemptId, { runner_session_id: id })
      if (!known) store.tasks.patch(this.taskId, { runner_session_id: id }, at)
      also?.(at)
    })
  }

  charge(delta: Partial<CostLedger>, also?: Also): CostLedger | null {
    const { store } = this.deps
    return store.transaction(() => {
      const at = now()
      const ledger = chargeRun(store, this.taskId, this.attemptId, delta, at)
      also?.(at)
      return ledger
    })
  }

  /** running → needs-input (nothing when the machine does not take it: already waiting). */
  needInput(reason: string, metadata: JsonObject, also?: Also): void {
    const { lifecycle, store } = this.deps
    if (!lifecycle.can(this.taskId, { type: 'NEED_INPUT' })) {
      this.alone(also)
      return
    }
    lifecycle.transition(
      this.taskId,
      { type: 'NEED_INPUT' },
      {
        message: `Waiting for input: ${reason}`,
        category: 'needs-input',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, ...metadata },
        write: (at) => {
          store.attempts.patch(this.attemptId, { summary: reason })
          also?.(at)
        },
      },
    )
  }

  resume(why: string, also?: Also): void {
    const { lifecycle, store } = this.deps
    if (!lifecycle.can(this.taskId, { type: 'RESUME' })) {
      this.alone(also)
      return
    }
    lifecycle.transition(
      this.taskId,
      { type: 'RESUME' },
      {
        message: `Running again: ${why}`,
        category: 'attempt-running',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, attempt_number: this.attemptNumber },
        write: (at) => {
          store.attempts.patch(this.attemptId, { summary: null })
          also?.(at)
        },
      },
    )
  }

  /** What a refused transition would have committed alongside it, alone. */
  private alone(also: Also | undefined): void {
    if (also) this.deps.store.transaction(() => also(now()))
  }

  /**
   * The end of the attempt: one transition, with the attempt, ledger and diff in its transaction.
   * While storage refuses it (a full disk), it is retried until it lands or the server shuts down
   * (then the next start's recovery marks the run stopped).
   */
  async outcome(outcome: Outcome): Promise<void> {
    // The run's output is written by the event writer first, and the transition commits while no
    // batch is being written: it would otherwise hold the event loop waiting for one.
    await this.deps.eventLog.written(this.taskId)
    return retryRefusedWrite(() => this.recordOutcome(outcome), this.deps.shutdownSignal)
  }

  /** The end of the attempt, tried once: throws what storage or the lifecycle refused (nothing written then). */
  recordOutcome(outcome: Outcome): void {
    const { store, lifecycle } = this.deps
    lifecycle.transition(this.taskId, outcome.event, {
      message: outcome.summary,
      category: outcome.category,
      attempt_id: this.attemptId,
      metadata: {
        attempt_id: this.attemptId,
        ...(outcome.stopReason ? { reason: outcome.stopReason } : {}),
        ...outcome.metadata,
      },
      extraEvents: [...(outcome.diff ? [outcome.diff] : []), ...(outcome.events ?? [])],
      write: (at, next) => {
        outcome.write?.(at, next)
        store.attempts.patch(this.attemptId, {
          finished_at: at,
          exit_status: outcome.exitText,
          summary: outcome.summary,
          stop_reason: outcome.stopReason,
          ...(outcome.limits ? { limits: outcome.limits } : {}),
        })
        store.attempts.clearProcess(this.attemptId)
        chargeRun(store, this.taskId, this.attemptId, { runtime_millis: outcome.runtimeMillis ?? 0 }, at)
        if (outcome.diffStat !== undefined) {
          const diffStat = outcome.diffStat?.has_changes ? outcome.diffStat.stat : null
          store.tasks.patch(this.taskId, { diff_stat: diffStat }, at)
        }
      },
    })
  }
}
