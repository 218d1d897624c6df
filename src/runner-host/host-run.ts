import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgentSession, ApprovalAnswer } from '../agents'
import { type Config, settingsOf } from '../config'
import {
  addToLedger,
  type CostLedger,
  type EffectivePolicy,
  effectiveBudgetMinutes,
  type JsonObject,
  type NewEvent,
  type OutcomeBody,
  type RunnerSignal,
  SESSION_ID_PATTERN,
  type TaskRecord,
} from '../domain'
import { type AttemptCheckout, checkOut, fetchBase } from '../git/runner-cache'
import type { SandboxInfo } from '../policy'
import type { RunLimits } from '../process/limits/run-limits'
import { SupervisedProcess } from '../process/supervise'
import { StoredApprovals } from '../workers/approval-gate'
import type { ApprovalGate, ExecutorContext, RunExecutor, RunInput } from '../workers/executors/executor'
import { guardedHooks } from '../workers/guarded-hooks'
import type { ReplyDelivery, StopReason } from '../workers/live-runs'
import { MiB, OutputCap } from '../workers/output-cap'
import type { Redaction } from '../workers/redaction'
import { runnerOf } from '../workers/registry'
import { planLaunch } from '../workers/run-launch'
import type { RunnerCatalog } from '../workers/runner-catalog'
import { errorText, exitVerdict, isFault, stopSummary } from '../workers/stop-reasons'
import { type ClaimedRun, taskOfClaim } from './claimed-run'
import { LiveSnapshots } from './live-snapshots'
import { RelayedApprovalBook } from './relayed-approvals'
import type { AttemptSpool } from './spool'

/** What no run may see: the repository caches (other tasks' code), the host's indexes, the spool. */
export const privateDir = (dir: string) => join(dir, 'private')

/** Where a task's worktree and its index live on the host (one per task). */
const taskPaths = (dir: string, taskId: string) => ({
  worktree: join(dir, 'worktrees', taskId),
  index: join(privateDir(dir), 'indexes', taskId),
})

/** Removes a task's worktree and index from the host (its work is kept on the control plane). */
export async function discardWorktree(dir: string, taskId: string): Promise<void> {
  const { worktree, index } = taskPaths(dir, taskId)
  await rm(worktree, { recursive: true, force: true })
  await rm(index, { force: true })
}

export interface HostRunDeps {
  config: Config
  /** The host's directory: caches, worktrees, indexes. */
  dir: string
  controlUrl: string
  authorization: string
  runners: RunnerCatalog
  redaction: Redaction
  sandbox: SandboxInfo
  limits: RunLimits
  /** How often a running attempt's worktree is looked at for a live snapshot. */
  snapshotEveryMs: number
}

/**
 * One claimed attempt on this host: the base commit fetched into the repository's cache, a
 * worktree of its own, the executor's process under the same launch plan as a local run (sandbox,
 * network, limits) and supervision, every event spooled, and at the end the worktree's snapshot
 * pushed to the attempt's ref before the outcome is spooled. It has no task database: what it
 * learns goes back as events, what it is told comes as control commands.
 */
export class HostRun implements ExecutorContext {
  task: TaskRecord
  input: RunInput
  readonly executionDir: string
  readonly ended: Promise<void>
  stopping: StopReason | null = null
  private process: SupervisedProcess | null = null
  private executor: RunExecutor | null = null
  private readonly output: OutputCap
  private readonly checkout: AttemptCheckout
  private book: RelayedApprovalBook | null = null
  private gate: ApprovalGate | null = null
  private ledger: CostLedger
  private resolveEnded!: () => void

  constructor(
    private readonly claim: ClaimedRun,
    private readonly spool: AttemptSpool,
    private readonly deps: HostRunDeps,
  ) {
    const name = claim.repository.replace(/^\/git\/|\.git$/g, '')
    // One worktree per task, as on the control plane: a follow-up continues the agent's session
    // in it (the agent keys its sessions by directory), and a new start goes on from what is there.
    this.checkout = {
      cache: join(privateDir(deps.dir), 'cache', `${name}.git`),
      ...taskPaths(deps.dir, claim.task_id),
    }
    this.ledger = claim.cost_ledger
    this.executionDir = this.checkout.worktree
    this.task = taskOfClaim(claim, this.checkout.worktree)
    this.input = { prompt: claim.prompt, resumeSessionId: claim.resume_session_id }
    this.output = new OutputCap(claim.policy.max_output_mb * MiB)
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
  }

  get attemptId(): string {
    return this.claim.attempt_id
  }

  get policy(): EffectivePolicy {
    return this.claim.policy
  }

  record(event: NewEvent): Promise<void> | null {
    const { event: kept, reachedNow } = this.output.admit(event)
    if (kept) this.note(kept)
    if (reachedNow) this.requestStop('output-limit')
    return null
  }

  needInput(reason: string, metadata: JsonObject): void {
    if (!this.stopping) this.signal({ type: 'needs-input', reason, metadata })
  }

  resume(why: string): void {
    if (!this.stopping) this.signal({ type: 'resume', why })
  }

  requestStop(reason: StopReason): void {
    if (this.stopping) return
    this.stopping = reason
    void this.executor?.stop()
  }

  sessionStarted(id: string): void {
    if (SESSION_ID_PATTERN.test(id)) this.signal({ type: 'session', session_id: id })
    else
      this.note({
        kind: 'error',
        message: 'The agent named a session id that is not one; it cannot be continued',
        metadata: { category: 'session-refused' },
      })
  }

  /** Counted here too (the task's ledger came with the claim), so the cost budget holds on the host. */
  charge(delta: Partial<CostLedger>): CostLedger | null {
    this.ledger = addToLedger(this.ledger, delta)
    this.signal({ type: 'charge', delta })
    return this.ledger
  }

  /** The gate of a local run, its book relayed to the control plane. */
  approvals(session: AgentSession): ApprovalGate {
    this.book = new RelayedApprovalBook((signal) => this.signal(signal))
    this.gate = new StoredApprovals(this, this.book, session, this.deps.redaction)
    return this.gate
  }

  reply(text: string): ReplyDelivery | null {
    return this.process && !this.stopping ? (this.executor?.reply(text) ?? null) : null
  }

  /** The control plane's answer to one of this attempt's approvals; false when nothing waits for it. */
  answerApproval(approvalId: string, answer: ApprovalAnswer, by: string): boolean {
    const approval = this.book?.find(approvalId)
    return approval ? (this.gate?.answer(approval, answer, by) ?? false) : false
  }

  /** Runs the attempt to its end and spools its outcome; never throws. */
  async execute(): Promise<void> {
    const startedAt = Date.now()
    try {
      const outcome = await this.runToEnd(startedAt)
      this.spool.setOutcome(outcome)
    } catch (error) {
      this.spool.setOutcome({
        exit_status: 'not started',
        exit_code: null,
        summary: `the runner host failed running it: ${errorText(error)}`.slice(0, 2000),
        has_changes: false,
        runtime_millis: Date.now() - startedAt,
      })
    } finally {
      this.resolveEnded()
    }
  }

  private signal(signal: RunnerSignal): void {
    this.spool.append({ signal, at: new Date().toISOString() })
  }

  private note(event: NewEvent): void {
    const { kind, message, metadata } = event
    this.spool.append({ kind, message, metadata: metadata ?? null, at: new Date().toISOString() })
  }

  private remote() {
    return { url: `${this.deps.controlUrl}${this.claim.repository}`, authorization: this.deps.authorization }
  }

  /**
   * A follow-up whose worktree this host does not hold (it ran elsewhere, or this host came back
   * with an empty directory): the worktree is made from the last snapshot the control plane has,
   * the previous attempt's files. The agent's session stayed where it ran, so, as a local run
   * whose session is gone, the agent starts a new one with the follow-up as its first turn.
   */
  private async continueFromSnapshot(from: NonNullable<ClaimedRun['continue_from']>): Promise<void> {
    await fetchBase(this.checkout.cache, this.remote(), from.commit)
    await checkOut(this.checkout, from.commit)
    const host = this.claim.runner_host
    this.note({
      kind: 'lifecycle',
      message: `The follow-up continued from snapshot ${from.commit} on runner host ${host}: the worktree of the last attempt was not on it`,
      metadata: {
        category: 'continued-from-snapshot',
        snapshot_commit: from.commit,
        from_attempt_id: from.attempt_id,
      },
    })
    const session = this.claim.resume_session_id
    if (session === null) return
    // The new session knows nothing of the old one: the reply comes first (it is what to do now),
    // then the task's goal, so the agent does not work from the reply alone.
    this.input = {
      prompt: `${this.input.prompt}\n\n(This continues work on a task whose earlier conversation could not be resumed here; the worktree holds the changes made so far. The task as first asked:)\n\n${from.task_prompt}`,
      resumeSessionId: null,
    }
    this.task = { ...this.task, runner_session_id: null }
    this.note({
      kind: 'lifecycle',
      message: `The agent's session ${session} stayed on the runner host that ran the last attempt: this follow-up starts a new session, told the reply and the task's prompt`,
      metadata: { category: 'session-not-continued', session_id: session },
    })
  }

  private async runToEnd(startedAt: number): Promise<OutcomeBody> {
    const base = this.claim.base_commit
    if (base === null) throw new Error('the workspace has no commit to start from')
    await fetchBase(this.checkout.cache, this.remote(), base)
    const { worktree, index } = this.checkout
    // Cleaned up on the control plane (its state is archived there), and the host missed being
    // told: this start begins anew.
    if (this.claim.fresh_worktree) await discardWorktree(this.deps.dir, this.claim.task_id)
    const kept = existsSync(worktree) && existsSync(index)
    const from = kept ? null : this.claim.continue_from
    if (from) await this.continueFromSnapshot(from)
    else if (!kept) {
      if (this.claim.resume_session_id !== null)
        throw new Error(`the worktree of task ${this.claim.task_id} is no longer on this runner host`)
      await checkOut(this.checkout, base)
    }
    this.note({
      kind: 'lifecycle',
      message: `${kept || from ? 'Continuing in' : 'Isolated in'} worktree ${worktree} on runner host (base ${base.slice(0, 12)})`,
      metadata: { category: 'workspace', base_commit: base },
    })
    const { config, runners, redaction, sandbox, limits } = this.deps
    const definition = runnerOf(this.task.runner)
    const info = await runners.get(this.task.runner)
    const executor = definition.executor(this, {
      config,
      settings: settingsOf(config, definition.settingsName),
      binary: info.available ? info.path : null,
      redaction,
    })
    this.executor = executor
    const plan = await planLaunch({
      attemptId: this.attemptId,
      task: this.task,
      policy: this.policy,
      launch: await executor.launch(),
      prepared: {
        isolated: true,
        worktreePath: this.checkout.worktree,
        executionDir: this.checkout.worktree,
        baseCommit: base,
        repoRoot: this.checkout.worktree,
        gitDir: null,
        sharedObjects: null,
        note: '',
      },
      sandbox,
      limits,
      dataDir: privateDir(this.deps.dir),
      onRefused: (target) =>
        this.record({
          kind: 'lifecycle',
          message: `Network: refused ${target}, which this run may not reach`,
          metadata: { category: 'network-refused', target },
        }),
    })
    const snapshots = new LiveSnapshots({
      checkout: this.checkout,
      base,
      remote: this.remote(),
      ref: `refs/openruntime/attempts/${this.attemptId}/snapshot`,
      attemptId: this.attemptId,
      everyMs: this.deps.snapshotEveryMs,
      onError: (error) => console.error(`attempt ${this.attemptId}: a live snapshot failed`, error.message),
    })
    try {
      this.note({
        kind: 'lifecycle',
        message: plan.command.active ? 'sandboxed with bubblewrap' : plan.command.reason,
        metadata: { category: 'sandbox', sandboxed: plan.command.active },
      })
      this.process = new SupervisedProcess(
        {
          ...plan.launch.spec,
          argv: plan.command.argv,
          env: plan.command.active ? { ...plan.launch.spec.env, TMPDIR: '/tmp' } : plan.launch.spec.env,
        },
        guardedHooks(executor.hooks, (error) => {
          console.error(`attempt ${this.attemptId}: handling the runner's output failed`, error)
          this.requestStop('internal-error')
        }),
        {
          stopGraceMs: config.stopGraceMs,
          idleMs: config.partialLineIdleMs,
          maxLineChars: plan.launch.maxLineChars,
          redactor: executor.redactsStream ? redaction.stream(this.policy) : undefined,
          reap: () => plan.limits.reap(),
        },
      )
      this.spool.recordProcess({ pgid: this.process.pid, started: this.process.startedTicks })
      executor.attach(this.process)
      snapshots.start()
      // A stop that came while it was being set up.
      if (this.stopping) void executor.stop()
      const budget = setTimeout(
        () => this.requestStop('budget-exceeded'),
        effectiveBudgetMinutes(this.task) * 60_000,
      )
      const exit = await this.process.exited
      clearTimeout(budget)
      executor.dispose()
      await plan.limits
        .finish({ stored: this.output.stored, dropped: this.output.dropped })
        .catch(() => undefined)
      // An attempt the control plane failed still pushes its last snapshot, so the failed task
      // shows the agent's work; when the control plane takes it no more, the work stays here.
      const orphaned = this.stopping === 'host-lost'
      let kept = false
      const snapshot = await snapshots.final({ push: true }).catch((error: Error) => {
        if (!orphaned) throw error
        kept = true
        console.error(`attempt ${this.attemptId}: pushing the last snapshot failed: ${error.message}`)
        return snapshots.final({ push: false })
      })
      const runtime = Date.now() - startedAt
      const ending = {
        exit_status: exit.text,
        exit_code: exit.code,
        has_changes: snapshot.has_changes,
        diff_stat: snapshot.has_changes ? snapshot.stat : null,
        runtime_millis: runtime,
      }
      if (this.stopping)
        return {
          ...ending,
          exit_code: isFault(this.stopping) ? 1 : exit.code,
          summary: `${stopSummary(this.stopping, this.task)}${kept && snapshot.has_changes ? `; its changes stay on the runner host in ${this.checkout.worktree}` : ''}`,
          stopped: !isFault(this.stopping),
        }
      const { failed, summary } = exitVerdict(this.task, exit, executor.failure())
      return { ...ending, exit_code: failed && exit.code === 0 ? 1 : exit.code, summary }
    } finally {
      snapshots.halt()
      plan.network?.close()
    }
  }
}
