import type { Store } from '../storage/store'
import type { RunJob } from './jobs'

/** The queue as the dispatch feeds it: the embedded one (run-queue.ts) or a broker's (remote-queue.ts). */
export interface JobQueue<J extends RunJob = RunJob> {
  enqueue(job: J): Promise<void>
  remove(job: J): Promise<void>
  isPending(job: J): Promise<boolean>
}

/**
 * Feeds the queue from the run outbox (src/storage/outbox.ts): a run becomes a job only once the
 * transaction that queued its task committed, and whatever the queue lost is put back from there.
 */
export class RunDispatch {
  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
  ) {}

  /** A committed START (or follow-up) wrote `job` to the outbox: it goes to the queue now. */
  dispatch(job: RunJob): Promise<void> {
    return this.queue.enqueue(job)
  }

  /** The run will not happen (stopped while waiting): its job goes too, if it is still queued. */
  withdraw(job: RunJob): Promise<void> {
    return this.queue.remove(job)
  }

  /**
   * At start-up: every run waiting in the outbox is in the queue, whatever happened to the queue
   * file (lost, replaced, a crash between commit and enqueue). Returns the tasks put back.
   */
  async refill(): Promise<string[]> {
    const refilled: string[] = []
    for (const entry of this.store.outbox.list()) {
      const job = { taskId: entry.task_id, run: entry.run }
      if (await this.queue.isPending(job)) continue
      await this.queue.enqueue(job)
      refilled.push(entry.task_id)
    }
    return refilled
  }
}
