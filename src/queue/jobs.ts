/** What a queue entry says, in the embedded queue and on a broker alike: which run of which task. */
export interface RunJob {
  taskId: string
  /** Which START of the task this job serves (a task can be started again after it ended). */
  run: number
}

/** One id per run, so enqueueing the same run again (a refill, a retried request) adds nothing. */
export const jobIdOf = (job: RunJob) => `${job.taskId}:${job.run}`

const PENDING = new Set(['waiting', 'prioritized', 'delayed', 'active'])

/** Whether a bunqueue job state means the run is still waiting for a slot or running. */
export const isPendingState = (state: string) => PENDING.has(state)
