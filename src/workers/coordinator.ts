import type { TaskRecord } from '../domain'
import type { TaskLifecycle } from '../lifecycle'
import type { RunJob } from '../queue/jobs'
import { CheckRerun } from './checks/check-rerun'
import type { LiveRuns } from './live-runs'
import { Run, type RunDeps } from './run'

export interface CoordinatorDeps extends Omit<RunDeps, 'shutdownSignal'> {
  lifecycle: TaskLifecycle
  liveRuns: LiveRuns
  /** False for a task a runner host runs: its job is left to the host's claim. */
  runsHere: (task: TaskRecord) => boolean
}

/**
 * The runs module's entry: a job the queue hands over becomes a Run (run.ts), which takes it from
 * claim to its recorded outcome while the task service can reach it through LiveRuns (stop,
 * reply, approvals).
 */
export class RunCoordinator {
  constructor(private readonly deps: CoordinatorDeps) {}

  async processRun(job: RunJob): Promise<void> {
    const { store, lifecycle, liveRuns } = this.deps
    // The claim's transition commits while no batch is being written (it would otherwise hold the
    // event loop waiting for one); nothing below awaits before it, so the checks still hold then.
    await this.deps.eventLog.written(job.taskId)
    const task = store.tasks.get(job.taskId)
    if (!task || !this.deps.runsHere(task)) return
    const snapshot = lifecycle.snapshot(task.id)
    // A job for a run that was stopped while queued, or superseded by a later start, has nothing to do.
    if (!snapshot.can({ type: 'CLAIM' }) || snapshot.context.starts !== job.run) return
    const run = new Run(task, { ...this.deps, shutdownSignal: liveRuns.shutdownSignal })
    liveRuns.add(run)
    try {
      await run.execute(job.run)
    } finally {
      liveRuns.remove(run)
    }
  }

  /**
   * The checks again, on the latest attempt of a task the service has just moved to
   * `running.checks`; resolves once they are recorded (reachable meanwhile for a stop).
   */
  async rerunChecks(task: TaskRecord, attemptId: string): Promise<void> {
    const { liveRuns } = this.deps
    const rerun = new CheckRerun({ ...this.deps, shutdownSignal: liveRuns.shutdownSignal }, task, attemptId)
    liveRuns.add(rerun)
    try {
      await rerun.execute()
    } finally {
      liveRuns.remove(rerun)
    }
  }
}
