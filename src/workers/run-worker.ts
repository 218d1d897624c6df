import { randomUUID } from 'node:crypto'
import type { Config } from '../config'
import { type AttemptRecord, type NewEvent, now, type TaskRecord, type TaskStatus } from '../domain'
import { AppError, conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import type { ExitOutcome } from '../machines/task-machine'
import type { Store } from '../storage/store'
import type { TaskLifecycle } from '../tasks/lifecycle'
import type { Isolation } from './isolation'
import type { LiveRun, LiveRuns, StopReason } from './live-runs'
import type { RunJob } from './run-queue'
import { shellProcessSpec } from './runners/shell'
import { type ProcessExit, SupervisedProcess } from './supervise'

export interface RunWorkerDeps {
  config: Config
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  liveRuns: LiveRuns
  isolation: Isolation
  /** The environment a runner process gets (scrubbed of the server's secrets). */
  runnerEnvironment: (task: TaskRecord) => Record<string, string>
}

const RUNNER_LABELS: Record<string, string> = { shell: 'Shell', 'claude-code': 'Claude Code', codex: 'Codex' }

/**
 * Executes one queued run: claims it (the task becomes `running` with a new attempt), prepares its
 * workspace, supervises the process, and reports the outcome to the task machine. Every way a run
 * can end (exit, failure, user stop, budget, shutdown) leaves the task and the attempt consistent.
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

class ActiveRun implements LiveRun {
  readonly taskId: string
  readonly attemptId = randomUUID()
  stopping: StopReason | null = null
  private process: SupervisedProcess | null = null
  private waitingForInput = false
  private readonly done: Promise<void>
  private resolveDone!: () => void
  private attemptNumber = 0

  constructor(
    private task: TaskRecord,
    private readonly deps: RunWorkerDeps,
  ) {
    this.taskId = task.id
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  async stop(reason: StopReason): Promise<void> {
    if (this.stopping) throw conflict('already_stopping', `task ${this.taskId} is already being stopped`)
    this.stopping = reason
    if (this.process) await this.process.stop()
    await this.done
  }

  write(text: string): boolean {
    return this.process?.write(text) ?? false
  }

  async execute(): Promise<void> {
    try {
      await this.run()
    } finally {
      this.resolveDone()
    }
  }

  private async run(): Promise<void> {
    const { store, lifecycle, eventLog, config } = this.deps
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

    let executionDir: string
    try {
      const prepared = await this.deps.isolation.prepare(this.task)
      store.tasks.patch(
        this.taskId,
        {
          worktree_path: prepared.worktreePath,
          execution_workspace: prepared.executionDir,
          base_commit: this.task.base_commit ?? prepared.baseCommit,
        },
        now(),
      )
      store.attempts.patch(this.attemptId, { execution_workspace: prepared.executionDir })
      eventLog.append(this.taskId, {
        kind: 'lifecycle',
        attempt_id: this.attemptId,
        message: prepared.note,
        metadata: {
          category: 'workspace',
          isolated: prepared.isolated,
          execution_workspace: prepared.executionDir,
        },
      })
      executionDir = prepared.executionDir
    } catch (error) {
      this.finish('failed', { type: 'FAIL' }, `could not prepare the workspace: ${errorText(error)}`, {
        category: 'attempt-failed',
        exitText: null,
      })
      return
    }
    if (this.stopping) {
      this.finish('stopped', { type: 'STOP' }, stopSummary(this.stopping, this.task), {
        category: 'attempt-stopped',
        exitText: null,
      })
      return
    }

    this.task = store.tasks.get(this.taskId) ?? this.task
    const startedAt = Date.now()
    try {
      this.process = new SupervisedProcess(
        shellProcessSpec(this.task, executionDir, this.deps.runnerEnvironment(this.task)),
        {
          onLine: (stream, line, partial) => this.onLine(stream, line, partial),
          onWaitingForInput: (evidence, prompt) => this.onWaitingForInput(evidence, prompt),
        },
        { stopGraceMs: config.stopGraceMs, idleMs: config.partialLineIdleMs },
      )
    } catch (error) {
      eventLog.append(this.taskId, {
        kind: 'error',
        attempt_id: this.attemptId,
        message: `runner process failed to start: ${errorText(error)}`,
        metadata: { category: 'attempt-start-failed', attempt_id: this.attemptId, error: errorText(error) },
      })
      this.finish('failed', { type: 'FAIL' }, `runner process failed to start: ${errorText(error)}`, {
        category: 'attempt-failed',
        exitText: null,
      })
      return
    }
    store.attempts.markProcess(this.attemptId, this.process.pid, this.process.startedTicks)

    const budgetMinutes = effectiveBudgetMinutes(this.task)
    const budgetTimer = setTimeout(() => {
      this.stop('budget-exceeded').catch(() => undefined)
    }, budgetMinutes * 60_000)

    const exit = await this.process.exited
    clearTimeout(budgetTimer)
    const runtimeMillis = Date.now() - startedAt
    await this.recordExit(exit, runtimeMillis)
  }

  private onLine(stream: 'stdout' | 'stderr', line: string, partial: boolean): undefined | Promise<void> {
    this.deps.eventLog.append(this.taskId, {
      kind: stream,
      attempt_id: this.attemptId,
      message: line,
      metadata: partial ? { partial: true } : null,
    })
    if (this.waitingForInput && !partial) this.resumeAfterInput('output resumed')
    return this.deps.eventLog.room() ?? undefined
  }

  private onWaitingForInput(evidence: 'stdin-read' | 'prompt-text', prompt: string): void {
    if (this.stopping || !this.deps.lifecycle.can(this.taskId, { type: 'NEED_INPUT' })) return
    const reason = prompt.trim() || 'the process is waiting for input on stdin'
    this.deps.lifecycle.transition(
      this.taskId,
      { type: 'NEED_INPUT' },
      {
        message: `Waiting for input: ${reason}`,
        category: 'needs-input',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, reason, source: 'runner', evidence },
        write: () =>
          this.deps.store.attempts.patch(this.attemptId, { status: 'needs-input', summary: reason }),
      },
    )
    this.waitingForInput = true
  }

  /** Called by the task service after a reply was written, or here when output resumes. */
  resumeAfterInput(why: string): void {
    if (!this.waitingForInput) return
    this.waitingForInput = false
    if (!this.deps.lifecycle.can(this.taskId, { type: 'RESUME' })) return
    this.deps.lifecycle.transition(
      this.taskId,
      { type: 'RESUME' },
      {
        message: `Running again: ${why}`,
        category: 'attempt-running',
        attempt_id: this.attemptId,
        metadata: { attempt_id: this.attemptId, attempt_number: this.attemptNumber },
        write: () => this.deps.store.attempts.patch(this.attemptId, { status: 'running', summary: null }),
      },
    )
  }

  private async recordExit(exit: ProcessExit, runtimeMillis: number): Promise<void> {
    const task = this.deps.store.tasks.get(this.taskId) ?? this.task
    let changes: Awaited<ReturnType<Isolation['summarizeChanges']>> = null
    try {
      changes = await this.deps.isolation.summarizeChanges(task)
    } catch (error) {
      this.deps.eventLog.append(this.taskId, {
        kind: 'error',
        attempt_id: this.attemptId,
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
    const options = { category: '', exitText: exit.text, runtimeMillis, diff: diffEvent, diffStat: changes }
    if (this.stopping) {
      this.finish('stopped', { type: 'STOP' }, stopSummary(this.stopping, task), {
        ...options,
        category: 'attempt-stopped',
      })
      return
    }
    const outcome: ExitOutcome = exit.code !== 0 ? 'failed' : changes?.has_changes ? 'changes' : 'no-changes'
    const status: TaskStatus =
      outcome === 'failed' ? 'failed' : outcome === 'changes' ? 'ready-for-review' : 'completed'
    const verb = outcome === 'failed' ? 'failed' : 'completed'
    this.finish(
      status,
      { type: 'EXIT', outcome },
      `${RUNNER_LABELS[task.runner]} runner ${verb} with ${exit.text}`,
      {
        ...options,
        category: outcome === 'failed' ? 'attempt-failed' : 'attempt-completed',
        extraMetadata: { exit_status: exit.text, has_changes: changes?.has_changes ?? false },
      },
    )
  }

  /** Records the end of the run: one transition, with the attempt, ledger and diff in its transaction. */
  private finish(
    status: TaskStatus,
    event: { type: 'FAIL' } | { type: 'STOP' } | { type: 'EXIT'; outcome: ExitOutcome },
    summary: string,
    options: {
      category: string
      exitText: string | null
      runtimeMillis?: number
      diff?: NewEvent
      diffStat?: { has_changes: boolean; stat: string } | null
      extraMetadata?: Record<string, unknown>
    },
  ): void {
    const { store, lifecycle } = this.deps
    const attemptStatus: AttemptRecord['status'] = status === 'ready-for-review' ? 'completed' : status
    lifecycle.transition(this.taskId, event, {
      message: summary,
      category: options.category,
      attempt_id: this.attemptId,
      metadata: {
        attempt_id: this.attemptId,
        ...(this.stopping ? { reason: this.stopping } : {}),
        ...(this.stopping === 'budget-exceeded' ? { budget_minutes: effectiveBudgetMinutes(this.task) } : {}),
        ...options.extraMetadata,
      },
      extraEvents: options.diff ? [options.diff] : [],
      write: (at) => {
        store.attempts.patch(this.attemptId, {
          status: attemptStatus,
          finished_at: at,
          exit_status: options.exitText,
          summary,
          stop_reason: this.stopping,
        })
        store.attempts.clearProcess(this.attemptId)
        const current = store.tasks.get(this.taskId)
        if (!current) return
        store.tasks.patch(
          this.taskId,
          {
            cost_ledger: {
              ...current.cost_ledger,
              runtime_millis: current.cost_ledger.runtime_millis + (options.runtimeMillis ?? 0),
            },
            ...(options.diffStat !== undefined
              ? { diff_stat: options.diffStat?.has_changes ? options.diffStat.stat : null }
              : {}),
          },
          at,
        )
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
    case 'server-shutdown':
      return 'Stopped: the server shut down'
    case 'storage-failure':
      return 'Stopped: the database cannot be written'
  }
}

function errorText(error: unknown): string {
  if (error instanceof AppError || error instanceof Error) return error.message
  return String(error)
}
