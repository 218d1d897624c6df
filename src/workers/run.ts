import type { AgentSession, ApprovalAnswer } from '../agents'
import { type Config, settingsOf } from '../config'
import type { ToolApproval } from '../domain'
import {
  type CostLedger,
  type EffectivePolicy,
  effectiveBudgetMinutes,
  type JsonObject,
  type NewEvent,
  RUNNER_LABELS,
  type TaskRecord,
} from '../domain'
import { conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import type { ExitOutcome } from '../machines/task-machine'
import { effectiveNetworkMode, type SandboxInfo } from '../policy'
import {
  describeLimits,
  limitsReached,
  type RunLimits,
  type RunLimitsPlan,
} from '../process/limits/run-limits'
import { type ProcessExit, SupervisedProcess } from '../process/supervise'
import type { Store } from '../storage/store'
import { isWriteRefused } from '../storage/write-failures'
import { StoredApprovals } from './approval-gate'
import {
  hasChecks,
  Verification,
  type VerificationDeps,
  type VerificationVerdict,
} from './checks/verification'
import type { ApprovalGate, ExecutorContext, RunExecutor, RunInput } from './executors/executor'
import { guardedHooks } from './guarded-hooks'
import type { Isolation, PreparedWorkspace } from './isolation'
import type { LiveRun, ReplyDelivery, StopReason } from './live-runs'
import { MiB, OutputCap } from './output-cap'
import { inPlaceRefused } from './preflight'
import type { Redaction } from './redaction'
import { runnerOf } from './registry'
import { type LaunchPlan, planLaunch } from './run-launch'
import { type Outcome, RunRecord, type RunRecordDeps } from './run-record'
import type { RunnerCatalog } from './runner-catalog'
import { errorText, exitVerdict, isFault, stopDetails, stopSummary } from './stop-reasons'

export interface RunDeps extends Omit<RunRecordDeps, 'shutdownSignal'>, Pick<VerificationDeps, 'checksFor'> {
  /** Puts a run the task's committed state queued (a fix round) on the queue. */
  requeue: (job: { taskId: string; run: number }) => Promise<void>
  config: Config
  store: Store
  eventLog: EventLog
  isolation: Isolation
  runners: RunnerCatalog
  redaction: Redaction
  /** Whether bubblewrap can run here (probed once, cached). */
  sandbox: () => SandboxInfo
  limits: RunLimits
  shutdownSignal: AbortSignal
}

/**
 * One run, from claim to outcome: the workspace prepared, the executor's process started in the
 * sandbox within its limits, supervised (budgets, output cap, stop), and the end recorded. Every
 * way a run can end (exit, failure, user stop, budgets, limits, shutdown) leaves the task and the
 * attempt consistent. What differs between runners lives in their executors; what is written
 * lives in RunRecord.
 */
export class Run implements LiveRun, ExecutorContext {
  readonly taskId: string
  readonly ended: Promise<void>
  stopping: StopReason | null = null
  executionDir = ''
  input: RunInput = { prompt: '', resumeSessionId: null }
  private readonly attempt: RunRecord
  private process: SupervisedProcess | null = null
  private executor: RunExecutor | null = null
  private resolveEnded!: () => void
  private claimed = false
  private readonly output: OutputCap
  private limits: RunLimitsPlan | null = null
  private limitsNoted = false
  private prepared: PreparedWorkspace | null = null
  private verification: Verification | null = null

  constructor(
    public task: TaskRecord,
    private readonly deps: RunDeps,
  ) {
    this.taskId = task.id
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
    this.output = new OutputCap(this.policy.max_output_mb * MiB)
    this.attempt = new RunRecord(deps, task.id)
  }

  get attemptId(): string {
    return this.attempt.attemptId
  }

  get policy(): EffectivePolicy {
    return this.task.effective_policy ?? this.task.policy
  }

  async stop(reason: StopReason): Promise<void> {
    if (this.stopping) throw conflict('already_stopping', `task ${this.taskId} is already being stopped`)
    this.stopping = reason
    if (this.process) await this.executor?.stop()
    await this.verification?.stop()
    await this.ended
  }

  reply(text: string): ReplyDelivery | null {
    return this.process && !this.stopping ? (this.executor?.reply(text) ?? null) : null
  }

  answerApproval(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean {
    return this.executor?.answerApproval(approval, answer, by) ?? false
  }

  requestStop(reason: StopReason): void {
    if (!this.stopping) this.stop(reason).catch(() => undefined)
  }

  /** The runner's events: they count against the output cap, and past it are dropped. */
  record(event: NewEvent): Promise<void> | null {
    const { event: kept, reachedNow } = this.output.admit(event)
    if (kept) this.attempt.note(kept)
    if (reachedNow) {
      this.attempt.note({
        kind: 'lifecycle',
        message:
          `Output limit reached: ${this.output.stored} bytes of output kept (the limit is ` +
          `${this.policy.max_output_mb} MB); everything after that is dropped, and the run is stopped`,
        metadata: {
          category: 'output-limit',
          max_output_mb: this.policy.max_output_mb,
          stored_bytes: this.output.stored,
        },
      })
      this.requestStop('output-limit')
    }
    return kept ? this.deps.eventLog.room(this.taskId) : null
  }

  needInput(reason: string, metadata: JsonObject): void {
    if (!this.stopping) this.attempt.needInput(reason, metadata)
  }

  resume(why: string): void {
    if (!this.stopping) this.attempt.resume(why)
  }

  sessionStarted(id: string): void {
    this.attempt.session(id)
  }

  charge(delta: Partial<CostLedger>): CostLedger | null {
    return this.attempt.charge(delta)
  }

  approvals(session: AgentSession): ApprovalGate {
    return new StoredApprovals(this, this.deps.store.approvals, session, this.deps.redaction)
  }

  /** Runs the claimed job `run` of the task to its recorded end. */
  async execute(run: number): Promise<void> {
    try {
      this.input = this.attempt.claim(this.task, run, RUNNER_LABELS[this.task.runner])
      this.claimed = true
      await this.runClaimed()
    } catch (error) {
      console.error(`task ${this.taskId}: the run failed unexpectedly`, error)
      // A claimed run must not stay "running" with nothing behind it.
      if (!this.claimed) throw error
      await this.fail(
        isWriteRefused(error)
          ? `the database cannot be written: ${errorText(error)}`
          : `openRuntime failed running it: ${errorText(error)}`,
      )
    } finally {
      // However the run ended, its cgroup goes (a no-op when the exit already finished it).
      await this.finishLimits().catch((error) =>
        console.error(`task ${this.taskId}: removing the run's cgroup failed`, error),
      )
      this.resolveEnded()
    }
  }

  private async runClaimed(): Promise<void> {
    const prepared = await this.prepareWorkspace()
    if (!prepared || (await this.stoppedBeforeStart())) return
    this.task = this.deps.store.tasks.get(this.taskId) ?? this.task
    let plan: LaunchPlan
    try {
      const executor = await this.createExecutor()
      this.executor = executor
      plan = await planLaunch({
        attemptId: this.attemptId,
        task: this.task,
        policy: this.policy,
        launch: await executor.launch(),
        prepared,
        sandbox: this.deps.sandbox(),
        limits: this.deps.limits,
        dataDir: this.deps.config.dataDir,
        onRefused: (target) =>
          this.record({
            kind: 'lifecycle',
            message: `Network: refused ${target}, which this run may not reach`,
            metadata: { category: 'network-refused', target },
          }),
      })
    } catch (error) {
      await this.fail(`could not start the runner: ${errorText(error)}`)
      return
    }
    this.limits = plan.limits
    try {
      this.recordSandbox(plan)
      this.attempt.limits(plan.limits.record, describeLimits(plan.limits.record))
      if (await this.stoppedBeforeStart()) return
      await this.supervise(plan)
    } finally {
      plan.network?.close()
    }
  }

  private async createExecutor(): Promise<RunExecutor> {
    const { config, runners, redaction } = this.deps
    const definition = runnerOf(this.task.runner)
    const info = await runners.get(this.task.runner)
    return definition.executor(this, {
      config,
      settings: settingsOf(config, definition.settingsName),
      binary: info.available ? info.path : null,
      redaction,
    })
  }

  private async prepareWorkspace(): Promise<PreparedWorkspace | null> {
    let prepared: PreparedWorkspace
    try {
      prepared = await this.deps.isolation.prepare(this.task)
      // Checked at start too; the folder may have stopped being a repository since.
      if (!prepared.isolated && !this.policy.allow_in_place) throw inPlaceRefused(this.task.workspace)
    } catch (error) {
      await this.fail(`could not prepare the workspace: ${errorText(error)}`)
      return null
    }
    this.attempt.workspace(this.task, prepared)
    this.executionDir = prepared.executionDir
    this.prepared = prepared
    return prepared
  }

  private recordSandbox({ command, network }: LaunchPlan): void {
    const allowed = network?.describe()
    const mode = allowed ? `only the model API, ${allowed.join(', ')}` : effectiveNetworkMode(this.policy)
    const reason = command.active ? `sandboxed with bubblewrap (network: ${mode})` : command.reason
    this.attempt.sandboxed(command.active, reason, allowed)
  }

  /** Ends the run's limits (its cgroup removed) and says which it ran into; undefined when none were set up. */
  private async finishLimits() {
    const ended = await this.limits?.finish({ stored: this.output.stored, dropped: this.output.dropped })
    if (!ended || this.limitsNoted) return ended
    this.limitsNoted = true
    for (const message of limitsReached(ended))
      this.attempt.note({
        kind: 'lifecycle',
        message,
        metadata: { category: 'limit-reached', limits: ended },
      })
    return ended
  }

  private async supervise({ launch, command, limits }: LaunchPlan): Promise<void> {
    const executor = this.executor as RunExecutor
    const { config, redaction } = this.deps
    const startedAt = Date.now()
    try {
      this.process = new SupervisedProcess(
        {
          ...launch.spec,
          argv: command.argv,
          // Inside the sandbox only its private /tmp is writable.
          env: command.active ? { ...launch.spec.env, TMPDIR: '/tmp' } : launch.spec.env,
        },
        guardedHooks(executor.hooks, (error) => this.contain(error)),
        {
          stopGraceMs: config.stopGraceMs,
          idleMs: config.partialLineIdleMs,
          maxLineChars: launch.maxLineChars,
          redactor: executor.redactsStream ? redaction.stream(this.policy) : undefined,
          reap: () => limits.reap(),
        },
      )
    } catch (error) {
      this.attempt.note({
        kind: 'error',
        message: `runner process failed to start: ${errorText(error)}`,
        metadata: { category: 'attempt-start-failed', attempt_id: this.attemptId, error: errorText(error) },
      })
      await this.fail(`runner process failed to start: ${errorText(error)}`)
      return
    }
    executor.attach(this.process)
    try {
      this.attempt.process(this.process.pid, this.process.startedTicks)
    } catch (error) {
      // Unrecorded, the process could outlive a crash of this server unnoticed: end it now.
      if (!isWriteRefused(error)) throw error
      this.requestStop('storage-failure')
    }
    const budgetTimer = setTimeout(
      () => this.requestStop('budget-exceeded'),
      effectiveBudgetMinutes(this.task) * 60_000,
    )
    const exit = await this.process.exited
    clearTimeout(budgetTimer)
    executor.dispose()
    // The run's last output reaches its listeners first (its batch may be on the writer's thread
    // now): the wrap-up below would otherwise hold the event loop, and the outcome's unit of work
    // would wait for that batch within the call.
    await this.deps.eventLog.written(this.taskId)
    await this.recordExit(exit, Date.now() - startedAt, executor.failure())
  }

  /** A fault in the executor's hooks ends the run, saying why (a refused write is the storage's). */
  private contain(error: unknown): void {
    if (isWriteRefused(error)) {
      this.requestStop('storage-failure')
      return
    }
    console.error(`task ${this.taskId}: handling the runner's output failed`, error)
    this.attempt.note({
      kind: 'error',
      message: `openRuntime failed handling the runner's output: ${errorText(error)}`,
      metadata: { category: 'internal-error' },
    })
    this.requestStop('internal-error')
  }

  private async stoppedBeforeStart(): Promise<boolean> {
    if (!this.stopping) return false
    this.executor?.dispose()
    await this.finishStopped(this.task, { exitText: null })
    return true
  }

  /** A stop the user, a budget or a limit asked for ends `stopped`; one forced by a fault ends `failed`. */
  private async finishStopped(task: TaskRecord, ending: Partial<Outcome> & { exitText: string | null }) {
    const reason = this.stopping ?? 'user'
    const summary = stopSummary(reason, task)
    const metadata = { ...stopDetails(reason, task, this.output.dropped), ...ending.metadata }
    if (!isFault(reason)) {
      await this.finish({
        ...ending,
        event: { type: 'STOP' },
        summary,
        category: 'attempt-stopped',
        metadata,
      })
      return
    }
    this.attempt.note({ kind: 'error', message: summary, metadata: { category: 'run-fault', reason } })
    await this.finish({
      ...ending,
      event: { type: 'FAIL' },
      summary,
      category: 'attempt-failed',
      metadata,
    })
  }

  private async fail(summary: string): Promise<void> {
    this.executor?.dispose()
    await this.finish({
      event: { type: 'FAIL' },
      summary,
      category: 'attempt-failed',
      exitText: null,
    })
  }

  private finish(outcome: Omit<Outcome, 'stopReason'>): Promise<void> {
    return this.attempt.outcome({ ...outcome, stopReason: this.stopping })
  }

  private async recordExit(exit: ProcessExit, runtimeMillis: number, failure: string | null): Promise<void> {
    const task = this.deps.store.tasks.get(this.taskId) ?? this.task
    if (this.policy.allow_git_write) await this.collectCommits(task)
    const limits = await this.finishLimits()
    let changes: Awaited<ReturnType<Isolation['summarizeChanges']>> = null
    try {
      changes = await this.deps.isolation.summarizeChanges(task)
    } catch (error) {
      this.attempt.note({
        kind: 'error',
        message: `could not capture the diff: ${errorText(error)}`,
        metadata: { category: 'diff-failed' },
      })
    }
    const diff: NewEvent = {
      kind: 'diff',
      attempt_id: this.attemptId,
      message: changes?.has_changes ? changes.stat : 'No file changes.',
      metadata: { category: 'diff', has_changes: changes?.has_changes ?? false },
    }
    const ending = { exitText: exit.text, runtimeMillis, diff, diffStat: changes, limits }
    if (this.stopping) {
      await this.finishStopped(task, ending)
      return
    }
    const { failed, summary } = exitVerdict(task, exit, failure)
    const outcome: ExitOutcome = failed ? 'failed' : changes?.has_changes ? 'changes' : 'no-changes'
    // From running.agent only: an agent that exited while it waited for input ends unchecked
    // (and the merge gate sees no checks on its attempt).
    const checkable = this.deps.lifecycle.can(this.taskId, { type: 'CHECKS' })
    if (outcome === 'changes' && this.prepared && checkable && hasChecks(this.deps, task)) {
      await this.verify(task, this.prepared, ending, summary)
      return
    }
    await this.finish({
      ...ending,
      event: { type: 'EXIT', outcome },
      summary,
      category: failed ? 'attempt-failed' : 'attempt-completed',
      metadata: { exit_status: exit.text, has_changes: changes?.has_changes ?? false },
    })
  }

  /**
   * An attempt with changes, verified: its checks run in the worktree (the task `running.checks`
   * meanwhile), then it ends ready for review, or, when a check failed and the fix loop has rounds
   * left, its FIX transition queues the next round (a follow-up with the failures) as a new run.
   */
  private async verify(
    task: TaskRecord,
    prepared: PreparedWorkspace,
    ending: Omit<Outcome, 'event' | 'summary' | 'category' | 'stopReason'>,
    exitSummary: string,
  ): Promise<void> {
    const verification = new Verification(this.deps, {
      task,
      policy: this.policy,
      attemptId: this.attemptId,
      prepared,
      trigger: 'attempt',
    })
    this.verification = verification
    let verdict: VerificationVerdict
    try {
      verdict = await verification.run()
    } finally {
      this.verification = null
    }
    if (this.stopping) {
      await this.finishStopped(task, ending)
      return
    }
    const metadata = {
      exit_status: ending.exitText,
      has_changes: true,
      checks: verdict.run.status,
      check_run_id: verdict.run.id,
      fix_loop: verdict.loop,
    }
    const { fix } = verdict
    if (fix === null) {
      await this.finish({
        ...ending,
        event: { type: 'EXIT', outcome: 'changes' },
        summary: `${exitSummary}; ${verdict.summary}`,
        category: 'attempt-completed',
        metadata,
      })
      return
    }
    const { store } = this.deps
    let queued = 0
    await this.finish({
      ...ending,
      event: { type: 'FIX' },
      summary: `${exitSummary}; ${verdict.summary}: fix round ${fix.round} of ${this.policy.fix_rounds} sent to the agent`,
      category: 'attempt-completed',
      metadata: { ...metadata, fix_round: fix.round },
      events: [
        {
          kind: 'input',
          message: `Fix round ${fix.round}: ${fix.prompt}`,
          metadata: { category: 'fix-round', round: fix.round, check_run_id: verdict.run.id },
        },
      ],
      write: (at, next) => {
        queued = next.context.starts
        store.outbox.add({ task_id: this.taskId, run: queued, follow_up: fix.prompt, created_at: at })
        // Queued again, the machine says nothing of this attempt: it completed, with changes.
        store.attempts.patch(this.attemptId, { status: 'completed' })
      },
    })
    await this.deps.requeue({ taskId: this.taskId, run: queued }).catch((error) =>
      this.deps.lifecycle.transition(
        this.taskId,
        { type: 'FAIL' },
        {
          message: `could not queue fix round ${fix.round}: ${errorText(error)}`,
          category: 'enqueue-failed',
          write: () => store.outbox.clearTask(this.taskId),
        },
      ),
    )
  }

  /** A run allowed to commit did so in its own git directory; its branch comes into the user's repository now. */
  private async collectCommits(task: TaskRecord): Promise<void> {
    try {
      await this.deps.isolation.collectCommits(task)
    } catch (error) {
      this.record({
        kind: 'error',
        message: `could not bring the task's commits into the repository: ${errorText(error)}`,
        metadata: { category: 'commits-not-collected' },
      })
    }
  }
}
