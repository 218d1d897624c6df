import type { TaskRecord } from '../../domain'
import { conflict } from '../../errors'
import { retryRefusedWrite } from '../../storage/write-failures'
import type { Isolation } from '../isolation'
import type { LiveRun, StopReason } from '../live-runs'
import { errorText } from '../stop-reasons'
import { Verification, type VerificationDeps } from './verification'

export interface CheckRerunDeps extends VerificationDeps {
  isolation: Isolation
  shutdownSignal: AbortSignal
}

/**
 * The checks run again on request, on the task's latest attempt: the service has moved the task
 * from ready-for-review to `running.checks`; this runs them and records the end (EXIT back to
 * ready-for-review, STOP when stopped, FAIL when they could not run). The fix loop does not
 * apply: nobody asked the agent for anything.
 */
export class CheckRerun implements LiveRun {
  readonly taskId: string
  readonly ended: Promise<void>
  stopping: StopReason | null = null
  private verification: Verification | null = null
  private resolveEnded!: () => void

  constructor(
    private readonly deps: CheckRerunDeps,
    private readonly task: TaskRecord,
    readonly attemptId: string,
  ) {
    this.taskId = task.id
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve))
  }

  async execute(): Promise<void> {
    const { lifecycle } = this.deps
    const effects = { attempt_id: this.attemptId }
    try {
      const prepared = await this.deps.isolation.prepare(this.task)
      const policy = this.task.effective_policy ?? this.task.policy
      this.verification = new Verification(this.deps, {
        task: this.task,
        policy,
        attemptId: this.attemptId,
        prepared,
        trigger: 'manual',
      })
      const verdict = await this.verification.run()
      const end = this.stopping
        ? { event: { type: 'STOP' } as const, message: 'Checks stopped', category: 'checks-stopped' }
        : {
            event: { type: 'EXIT', outcome: 'changes' } as const,
            message: verdict.summary,
            category: 'checks-finished',
          }
      await retryRefusedWrite(
        () =>
          lifecycle.transition(this.taskId, end.event, {
            ...effects,
            message: end.message,
            category: end.category,
            metadata: { checks: verdict.run.status, check_run_id: verdict.run.id, trigger: 'manual' },
          }),
        this.deps.shutdownSignal,
      )
    } catch (error) {
      console.error(`task ${this.taskId}: running its checks failed`, error)
      this.deps.store.checks.settleRunning(new Date().toISOString(), this.taskId)
      lifecycle.transition(
        this.taskId,
        { type: 'FAIL' },
        {
          ...effects,
          message: `could not run the checks: ${errorText(error)}`,
          category: 'checks-failed-to-run',
        },
      )
    } finally {
      this.resolveEnded()
    }
  }

  async stop(reason: StopReason): Promise<void> {
    if (this.stopping) throw conflict('already_stopping', `task ${this.taskId} is already being stopped`)
    this.stopping = reason
    await this.verification?.stop()
    await this.ended
  }

  reply(): null {
    return null
  }

  answerApproval(): boolean {
    return false
  }
}
