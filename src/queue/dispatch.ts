import type { Store } from '../storage/store'
import type { RunJob } from './jobs'
import { type Placement, placementQueue } from './remote-placement'

/** The queue as the dispatch feeds it: the embedded one (run-queue.ts) or a broker's (remote-queue.ts). */
export interface JobQueue<J extends RunJob = RunJob> {
  enqueue(job: J): Promise<void>
  remove(job: J): Promise<void>
  isPending(job: J): Promise<boolean>
}

/** Where runs placed on runner hosts go: the broker's queue, by the task's placement. */
export interface RemoteRoute {
  queue: JobQueue<RunJob & Placement>
  /** The placement of a run on a runner host (its runner and labels), or null when it runs here. */
  placementOf(job: RunJob): Placement | null
}

/** One job bound to its queue. */
interface QueuedJob {
  enqueue(): Promise<void>
  remove(): Promise<void>
  isPending(): Promise<boolean>
}

const bind = <J extends RunJob>(queue: JobQueue<J>, job: J): QueuedJob => ({
  enqueue: () => queue.enqueue(job),
  remove: () => queue.remove(job),
  isPending: () => queue.isPending(job),
})

/**
 * Feeds the queue from the run outbox (src/storage/outbox.ts): a run becomes a job only once the
 * transaction that queued its task committed, and whatever the queue lost is put back from there.
 * A run placed on runner hosts goes to the broker (with its runner and labels) instead of the
 * embedded queue, when a broker is configured.
 */
export class RunDispatch {
  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
    private readonly remote: RemoteRoute | null = null,
  ) {}

  /** The job in the queue it belongs in (the broker's carries its placement). */
  private route(job: RunJob): QueuedJob {
    const placement = this.remote?.placementOf(job) ?? null
    if (this.remote === null || placement === null) return bind(this.queue, job)
    return bind(this.remote.queue, { ...job, ...placement })
  }

  /** A committed START (or follow-up) wrote `job` to the outbox: it goes to the queue now. */
  dispatch(job: RunJob): Promise<void> {
    return this.route(job).enqueue()
  }

  /**
   * The run was placed where it can no longer go (the host it was pinned to is gone): it is taken
   * out of the old place and queued where it goes now (the broker knows a job id once, whatever its
   * queue). A crash in between loses nothing: the outbox still holds the run, refilled at start-up.
   */
  async replace(job: RunJob, stale: Placement): Promise<void> {
    const placement = this.remote?.placementOf(job) ?? null
    if (this.remote === null || placement === null) return
    if (placementQueue(placement) === placementQueue(stale)) return
    await this.remote.queue.remove({ ...job, ...stale })
    await this.route(job).enqueue()
  }

  /** The run will not happen (stopped while waiting): its job goes too, if it is still queued. */
  withdraw(job: RunJob): Promise<void> {
    return this.route(job).remove()
  }

  /**
   * At start-up: every run waiting in the outbox is in the queue, whatever happened to the queue
   * file (lost, replaced, a crash between commit and enqueue). Returns the tasks put back.
   */
  async refill(): Promise<string[]> {
    const refilled: string[] = []
    for (const entry of this.store.outbox.list()) {
      const queued = this.route({ taskId: entry.task_id, run: entry.run })
      if (await queued.isPending()) continue
      await queued.enqueue()
      refilled.push(entry.task_id)
    }
    return refilled
  }
}
