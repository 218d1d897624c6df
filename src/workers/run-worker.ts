import { randomUUID } from 'node:crypto'
import type { AgentAdapter, AgentRunner, ApprovalAnswer } from '../agents'
import type { Config } from '../config'
import type { EffectivePolicy, JsonObject, NewEvent, RunLimitsRecord, TaskRecord } from '../domain'
import { AppError, conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import type { TaskLifecycle } from '../lifecycle'
import type { ExitOutcome } from '../machines/task-machine'
import { effectiveNetworkMode, type SandboxedCommand, type SandboxInfo } from '../policy'
import type { ToolApproval } from '../storage/approvals'
import type { Store } from '../storage/store'
import { isWriteRefused, retryRefusedWrite } from '../storage/write-failures'
import { AgentDriver } from './drivers/agent'
import type { DriverLaunch, RunContext, RunDriver } from './drivers/driver'
import { ShellDriver } from './drivers/shell'
import type { Isolation, PreparedWorkspace } from './isolation'
import { chargeRun } from './ledger'
import { describeLimits, limitsReached, type RunLimits, type RunLimitsPlan } from './limits/run-limits'
import type { LiveRun, LiveRuns, ReplyDelivery, StopReason } from './live-runs'
import { agentNetwork } from './network/agent-network'
import type { RunNetwork } from './network/run-network'
import { MiB, OutputCap } from './output-cap'
import { inPlaceRefused, RUNNER_LABELS } from './preflight'
import type { Redaction } from './redaction'
import type { RunJob } from './run-queue'
import { sandboxRun } from './run-sandbox'
import type { RunnerCatalog } from './runner-catalog'
import { type ProcessExit, SupervisedProcess, type SupervisorHooks } from './supervise'

export interface RunWorkerDeps {
  config: Config
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  liveRuns: LiveRuns
  isolation: Isolation
  runners: RunnerCatalog
  redaction: Redaction
  adapters: Record<AgentRunner, AgentAdapter>
  /** Whether bubblewrap can run here (probed once, cached). */
  sandbox: () => SandboxInfo
  limits: RunLimits
}

/**
 * Executes one queued run: claims it (the task becomes `running` with a new attempt), prepares its
 * workspace, starts the runner's process in the sandbox, and reports the outcome to the task
 * machine. Every way a run can end (exit, failure, user stop, budgets, shutdown) leaves the task
 * and the attempt consistent. What differs between runners lives in their drivers.
 */
export class RunWorker {
  constructor(private readonly deps: RunWorkerDeps) {}

  async processRun(job: RunJob): Promise<void> {
    const { store, lifecycle } = this.deps
    const task = store.tasks.get(job.taskId)
    if (!task) return
    const snapshot = lifecycle.snapshot(task.id)
    // A job for a run that was stopped while queued, or superseded by a later start, has nothing to do.
    if (!snapshot.can({ type: 'CLAIM' }) || snapshot.context.starts !== job.run) return
    const run = new ActiveRun(task, this.deps)
    this.deps.liveRuns.add(run)
    try {
      await run.execute()
    } finally {
      this.deps.liveRuns.remove(run)
    }
  }
}

type FinishEvent = { type: 'FAIL' } | { type: 'STOP' } | { type: 'EXIT'; outcome: ExitOutcome }

interface FinishOptions {
  category: string
  exitText: string | null
  runtimeMillis?: number
  diff?: NewEvent
  diffStat?: { has_changes: boolean; stat: string } | null
  extraMetadata?: JsonObject
  /** The limits as they ended (what the cgroup counted), for the attempt. */
  limits?: RunLimitsRecord
}

class ActiveRun implements LiveRun, RunContext {
  readonly taskId: string
  readonly attemptId = randomUUID()
  readonly ended: Promise<void>
  stopping: StopReason | null = null
  executionDir = ''
  private process: SupervisedProcess | null = null
  private driver: RunDriver | null = null
  private resolveEnded!: () => void
  private attemptNumber = 0
  private claimed = false
  private readonly output: OutputCap
  private limits: RunLimitsPlan | null = null
  private limitsNoted = false

  constructor(
    public task: TaskRecord,
    private readonly deps: RunWorkerDeps,
  ) {
    this.taskId = task.id
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
    this.output = new OutputCap(this.policy.max_output_mb * MiB)
  }

  get policy(): EffectivePolicy {
    return this.task.effective_policy ?? this.task.policy
  }

  async stop(reason: StopReason): Promise<void> {
    if (this.stopping) throw conflict('already_stopping', `task ${this.taskId} is already being stopped`)
    this.stopping = reason
    if (this.process) await this.driver?.stop()
    await this.ended
  }

  reply(text: string): ReplyDelivery | null {
    return this.process && !this.stopping ? (this.driver?.reply(text) ?? null) : null
  }

  answerApproval(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean {
    return this.driver?.answerApproval(approval, answer, by) ?? false
  }

  requestStop(reason: StopReason): void {
    if (!this.stopping) this.stop(reason).catch(() => undefined)
  }

  /** The runner's events: they count against the output cap, and past it are dropped. */
  record(event: NewEvent): Promise<void> | null {
    const { event: kept, reachedNow } = this.output.admit(event)
    if (kept) this.note(kept)
    if (reachedNow) {
      this.note({
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
    return kept ? this.deps.eventLog.room() : null
  }

  /** openRuntime's own events about the run (not its output). */
  private note(event: NewEvent): void {
    this.deps.eventLog.append(this.taskId, { ...event, attempt_id: this.attemptId })
  }

  needInput(reason: string, metadata: JsonObject): void {
    const { lifecycle, store } = this.deps
    if (this.stopping || !lifecycle.can(this.taskId, { type: 'NEED_INPUT' })) return
    lifecycle.transition(
      this.taskId,
      { type: 'NEED_INPUT' },
      {
        message: `Waiting for input: ${reason}`,
        category: 'needs-input',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, ...metadata },
        write: () => store.attempts.patch(this.attemptId, { summary: reason }),
      },
    )
  }

  resume(why: string): void {
    const { lifecycle, store } = this.deps
    if (this.stopping || !lifecycle.can(this.taskId, { type: 'RESUME' })) return
    lifecycle.transition(
      this.taskId,
      { type: 'RESUME' },
      {
        message: `Running again: ${why}`,
        category: 'attempt-running',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, attempt_number: this.attemptNumber },
        write: () => store.attempts.patch(this.attemptId, { summary: null }),
      },
    )
  }

  async execute(): Promise<void> {
    try {
      await this.run()
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
      // However the run ended, its cgroup goes (a no-op when recordExit already finished it).
      await this.finishLimits().catch((error) =>
        console.error(`task ${this.taskId}: removing the run's cgroup failed`, error),
      )
      this.resolveEnded()
    }
  }

  private async run(): Promise<void> {
    this.claim()
    this.claimed = true
    const prepared = await this.prepareWorkspace()
    if (!prepared || (await this.stoppedBeforeStart())) return
    this.task = this.deps.store.tasks.get(this.taskId) ?? this.task
    const driver = this.createDriver()
    this.driver = driver
    let launch: DriverLaunch
    let command: SandboxedCommand
    let network: RunNetwork | null = null
    try {
      launch = await driver.launch()
      const sandbox = this.deps.sandbox()
      network = await agentNetwork(launch, this.policy, sandbox, (target) => this.networkRefused(target))
      const wrapped = network?.wrap(launch.spec)
      if (wrapped) launch = { ...launch, spec: wrapped.spec }
      const started = launch
      const sandboxed = (argv: string[]) =>
        sandboxRun({
          argv,
          env: started.spec.env,
          policy: this.policy,
          workspace: this.task.workspace,
          prepared,
          stateDirs: started.stateDirs,
          configuration: started.configuration,
          network: network && wrapped ? { mount: network.mount, programs: wrapped.programs } : undefined,
          sandbox,
          dataDir: this.deps.config.dataDir,
        })
      command = sandboxed(launch.spec.argv)
      // Whether RLIMIT_NPROC can hold depends on the sandbox; rlimits wrap the command inside it.
      const limits = this.deps.limits.plan(this.attemptId, this.policy, {
        active: command.active,
        bwrapPath: sandbox.bwrap_path,
      })
      this.limits = limits
      if (limits.innerPrefix.length > 0) command = sandboxed([...limits.innerPrefix, ...launch.spec.argv])
      command = { ...command, argv: limits.outer(command.argv) }
    } catch (error) {
      network?.close()
      await this.fail(`could not start the runner: ${errorText(error)}`)
      return
    }
    try {
      this.recordSandbox(command, network)
      this.recordLimits(this.limits.record)
      if (await this.stoppedBeforeStart()) return
      await this.supervise(driver, launch, command)
    } finally {
      network?.close()
    }
  }

  private claim(): void {
    const { store, lifecycle } = this.deps
    this.attemptNumber = (store.attempts.latest(this.taskId)?.attempt_number ?? 0) + 1
    lifecycle.transition(
      this.taskId,
      { type: 'CLAIM' },
      {
        message: `Starting ${RUNNER_LABELS[this.task.runner]} runner (attempt ${this.attemptNumber})`,
        category: 'attempt-started',
        attempt_id: this.attemptId,
        metadata: {
          attempt_id: this.attemptId,
          attempt_number: this.attemptNumber,
          runner: this.task.runner,
        },
        write: (at) => {
          store.attempts.insert({
            id: this.attemptId,
            task_id: this.taskId,
            runner: this.task.runner,
            status: 'running',
            execution_workspace: this.task.execution_workspace,
            runner_session_id: this.task.runner_session_id,
            started_at: at,
          })
        },
      },
    )
  }

  private async prepareWorkspace(): Promise<PreparedWorkspace | null> {
    const { store, isolation, lifecycle } = this.deps
    let prepared: PreparedWorkspace
    try {
      prepared = await isolation.prepare(this.task)
      // Checked at start too; the folder may have stopped being a repository since.
      if (!prepared.isolated && !this.policy.allow_in_place) throw inPlaceRefused(this.task.workspace)
    } catch (error) {
      await this.fail(`could not prepare the workspace: ${errorText(error)}`)
      return null
    }
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
              base_commit: this.task.base_commit ?? prepared.baseCommit,
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
    this.executionDir = prepared.executionDir
    return prepared
  }

  private createDriver(): RunDriver {
    const { config, store, runners, redaction, adapters } = this.deps
    if (this.task.runner === 'shell') return new ShellDriver(this, config)
    return new AgentDriver(this, { config, store, runners, redaction, adapter: adapters[this.task.runner] })
  }

  private recordSandbox(command: SandboxedCommand, network: RunNetwork | null): void {
    const allowed = network?.describe()
    const mode = allowed ? `only the model API, ${allowed.join(', ')}` : effectiveNetworkMode(this.policy)
    const reason = command.active ? `sandboxed with bubblewrap (network: ${mode})` : command.reason
    this.deps.store.attempts.patch(this.attemptId, { sandboxed: command.active })
    this.note({
      kind: 'lifecycle',
      message: reason.charAt(0).toUpperCase() + reason.slice(1),
      metadata: {
        category: 'sandbox',
        sandboxed: command.active,
        reason,
        ...(allowed ? { allowed_endpoints: allowed } : {}),
      },
    })
  }

  private networkRefused(target: string): void {
    this.record({
      kind: 'lifecycle',
      message: `Network: refused ${target}, which this run may not reach`,
      metadata: { category: 'network-refused', target },
    })
  }

  private recordLimits(limits: RunLimitsRecord): void {
    this.deps.store.attempts.patch(this.attemptId, { limits })
    this.note({
      kind: 'lifecycle',
      message: describeLimits(limits),
      metadata: { category: 'limits', limits },
    })
  }

  /** Ends the run's limits (its cgroup removed) and says which it ran into; undefined when none were set up. */
  private async finishLimits(): Promise<RunLimitsRecord | undefined> {
    const ended = await this.limits?.finish({ stored: this.output.stored, dropped: this.output.dropped })
    if (!ended || this.limitsNoted) return ended
    this.limitsNoted = true
    for (const message of limitsReached(ended))
      this.note({ kind: 'lifecycle', message, metadata: { category: 'limit-reached', limits: ended } })
    return ended
  }

  private async supervise(driver: RunDriver, launch: DriverLaunch, command: SandboxedCommand): Promise<void> {
    const { config, store, redaction } = this.deps
    const startedAt = Date.now()
    try {
      this.process = new SupervisedProcess(
        {
          ...launch.spec,
          argv: command.argv,
          // Inside the sandbox only its private /tmp is writable.
          env: command.active ? { ...launch.spec.env, TMPDIR: '/tmp' } : launch.spec.env,
        },
        this.guarded(driver.hooks),
        {
          stopGraceMs: config.stopGraceMs,
          idleMs: config.partialLineIdleMs,
          maxLineChars: launch.maxLineChars,
          redactor: driver.redactsStream ? redaction.stream(this.policy) : undefined,
          reap: () => this.limits?.reap() ?? Promise.resolve(),
        },
      )
    } catch (error) {
      this.note({
        kind: 'error',
        message: `runner process failed to start: ${errorText(error)}`,
        metadata: { category: 'attempt-start-failed', attempt_id: this.attemptId, error: errorText(error) },
      })
      await this.fail(`runner process failed to start: ${errorText(error)}`)
      return
    }
    driver.attach(this.process)
    try {
      store.attempts.markProcess(this.attemptId, this.process.pid, this.process.startedTicks)
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
    driver.dispose()
    await this.recordExit(exit, Date.now() - startedAt, driver.failure())
  }

  private async stoppedBeforeStart(): Promise<boolean> {
    if (!this.stopping) return false
    this.driver?.dispose()
    await this.finishStopped(this.task, { exitText: null })
    return true
  }

  /** A stop the user or a budget asked for ends `stopped`; one forced by a fault ends `failed`, with an error event. */
  private async finishStopped(task: TaskRecord, options: Omit<FinishOptions, 'category'>): Promise<void> {
    const reason = this.stopping ?? 'user'
    const summary = stopSummary(reason, task)
    if (reason !== 'storage-failure' && reason !== 'internal-error') {
      await this.finish({ type: 'STOP' }, summary, { ...options, category: 'attempt-stopped' })
      return
    }
    this.note({ kind: 'error', message: summary, metadata: { category: 'run-fault', reason } })
    await this.finish({ type: 'FAIL' }, summary, { ...options, category: 'attempt-failed' })
  }

  private async fail(summary: string): Promise<void> {
    this.driver?.dispose()
    await this.finish({ type: 'FAIL' }, summary, { category: 'attempt-failed', exitText: null })
  }

  /**
   * The driver's hooks run inside the output reader: an exception there would leave the process
   * unread and unwatched. It ends the run instead, saying why.
   */
  private guarded(hooks: SupervisorHooks): SupervisorHooks {
    const contain = (error: unknown) => {
      if (isWriteRefused(error)) {
        this.requestStop('storage-failure')
        return
      }
      console.error(`task ${this.taskId}: handling the runner's output failed`, error)
      this.note({
        kind: 'error',
        message: `openRuntime failed handling the runner's output: ${errorText(error)}`,
        metadata: { category: 'internal-error' },
      })
      this.requestStop('internal-error')
    }
    const { onWaitingForInput } = hooks
    return {
      onLine: (stream, line, partial) => {
        try {
          return hooks.onLine(stream, line, partial)
        } catch (error) {
          contain(error)
          return undefined
        }
      },
      onWaitingForInput: onWaitingForInput
        ? (evidence, prompt) => {
            try {
              onWaitingForInput.call(hooks, evidence, prompt)
            } catch (error) {
              contain(error)
            }
          }
        : undefined,
    }
  }

  private async recordExit(exit: ProcessExit, runtimeMillis: number, failure: string | null): Promise<void> {
    const task = this.deps.store.tasks.get(this.taskId) ?? this.task
    if (this.policy.allow_git_write) await this.collectCommits(task)
    const limits = await this.finishLimits()
    let changes: Awaited<ReturnType<Isolation['summarizeChanges']>> = null
    try {
      changes = await this.deps.isolation.summarizeChanges(task)
    } catch (error) {
      this.note({
        kind: 'error',
        message: `could not capture the diff: ${errorText(error)}`,
        metadata: { category: 'diff-failed' },
      })
    }
    const diffEvent: NewEvent = {
      kind: 'diff',
      attempt_id: this.attemptId,
      message: changes?.has_changes ? changes.stat : 'No file changes.',
      metadata: { category: 'diff', has_changes: changes?.has_changes ?? false },
    }
    const options = {
      category: '',
      exitText: exit.text,
      runtimeMillis,
      diff: diffEvent,
      diffStat: changes,
      limits,
    }
    if (this.stopping) {
      await this.finishStopped(task, options)
      return
    }
    const failed = exit.code !== 0 || failure !== null
    const outcome: ExitOutcome = failed ? 'failed' : changes?.has_changes ? 'changes' : 'no-changes'
    const how =
      exit.code !== 0 || failure === null ? `with ${exit.text}` : `with ${exit.text}, but ${failure}`
    await this.finish(
      { type: 'EXIT', outcome },
      `${RUNNER_LABELS[task.runner]} runner ${failed ? 'failed' : 'completed'} ${how}`,
      {
        ...options,
        category: failed ? 'attempt-failed' : 'attempt-completed',
        extraMetadata: { exit_status: exit.text, has_changes: changes?.has_changes ?? false },
      },
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

  /**
   * Records the end of the run: one transition, with the attempt, ledger and diff in its
   * transaction. While storage refuses it (a full disk), it is retried until it lands or the server
   * shuts down (then the next start's recovery marks the run stopped).
   */
  private async finish(event: FinishEvent, summary: string, options: FinishOptions): Promise<void> {
    await retryRefusedWrite(
      () => this.recordOutcome(event, summary, options),
      this.deps.liveRuns.shutdownSignal,
    )
  }

  private recordOutcome(event: FinishEvent, summary: string, options: FinishOptions): void {
    const { store, lifecycle } = this.deps
    lifecycle.transition(this.taskId, event, {
      message: summary,
      category: options.category,
      attempt_id: this.attemptId,
      metadata: {
        attempt_id: this.attemptId,
        ...(this.stopping ? { reason: this.stopping } : {}),
        ...(this.stopping === 'budget-exceeded' ? { budget_minutes: effectiveBudgetMinutes(this.task) } : {}),
        ...(this.stopping === 'cost-budget-exceeded' ? { budget_cents: this.policy.budget_cents } : {}),
        ...(this.stopping === 'output-limit'
          ? { max_output_mb: this.policy.max_output_mb, dropped_bytes: this.output.dropped }
          : {}),
        ...options.extraMetadata,
      },
      extraEvents: options.diff ? [options.diff] : [],
      write: (at) => {
        store.attempts.patch(this.attemptId, {
          finished_at: at,
          exit_status: options.exitText,
          summary,
          stop_reason: this.stopping,
          ...(options.limits ? { limits: options.limits } : {}),
        })
        store.attempts.clearProcess(this.attemptId)
        chargeRun(store, this.taskId, this.attemptId, { runtime_millis: options.runtimeMillis ?? 0 }, at)
        if (options.diffStat !== undefined) {
          const diffStat = options.diffStat?.has_changes ? options.diffStat.stat : null
          store.tasks.patch(this.taskId, { diff_stat: diffStat }, at)
        }
      },
    })
  }
}

export function effectiveBudgetMinutes(task: TaskRecord): number {
  const policy = task.effective_policy ?? task.policy
  return policy.max_runtime_minutes ?? task.budget_minutes
}

function stopSummary(reason: StopReason, task: TaskRecord): string {
  switch (reason) {
    case 'user':
      return 'Stopped by the user'
    case 'budget-exceeded': {
      const minutes = effectiveBudgetMinutes(task)
      return `Stopped: exceeded budget of ${minutes} minute${minutes === 1 ? '' : 's'}`
    }
    case 'cost-budget-exceeded': {
      const cents = (task.effective_policy ?? task.policy).budget_cents ?? 0
      return `Stopped: exceeded the cost budget of ${cents} cent${cents === 1 ? '' : 's'}`
    }
    case 'output-limit':
      return `Stopped: its output passed the limit of ${(task.effective_policy ?? task.policy).max_output_mb} MB`
    case 'server-shutdown':
      return 'Stopped: the server shut down'
    case 'storage-failure':
      return 'Stopped: the database refused writes (disk full or read-only), so its output could not be kept'
    case 'internal-error':
      return 'Stopped: openRuntime failed handling its output (see the error above)'
  }
}

function errorText(error: unknown): string {
  if (error instanceof AppError || error instanceof Error) return error.message
  return String(error)
}
