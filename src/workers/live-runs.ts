/** Why a run was ended from outside. */
export type StopReason = 'user' | 'budget-exceeded' | 'server-shutdown' | 'storage-failure'

/** The handle the task service holds on a run a worker is executing right now. */
export interface LiveRun {
  readonly taskId: string
  readonly attemptId: string
  /** Set once a stop was requested; a second request is refused. */
  readonly stopping: StopReason | null
  /** Ends the run; resolves once its task has recorded the outcome. */
  stop(reason: StopReason): Promise<void>
  /** Writes a reply to the process's stdin; false when it has none. */
  write(text: string): boolean
  /** A reply was delivered: a run waiting for input is running again. */
  resumeAfterInput(why: string): void
}

/** The runs in progress in this server, by task id. */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>()

  get(taskId: string): LiveRun | undefined {
    return this.runs.get(taskId)
  }

  add(run: LiveRun): void {
    this.runs.set(run.taskId, run)
  }

  remove(run: LiveRun): void {
    if (this.runs.get(run.taskId) === run) this.runs.delete(run.taskId)
  }

  get size(): number {
    return this.runs.size
  }

  async stopAll(reason: StopReason): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.stop(reason).catch(() => undefined)))
  }
}
