import { Queue, shutdownManager, Worker } from 'bunqueue/client'
import { isPendingState, jobIdOf, type RunJob } from './jobs'
import { assertQueueFileSound, queueFileUnusable } from './queue-file'

export interface RunQueueOptions {
  dataPath: string
  /** The task database, named when the queue file cannot be used (it is what recovery starts from). */
  taskDatabase: string
  concurrency: number
  /** Runs one job to its end; never throws for an expected outcome (the task records it). */
  processRun: (job: RunJob) => Promise<void>
}

const QUEUE_NAME = 'openruntime-runs'

/**
 * bunqueue's worker, told about a job added in this process so it takes it at once. An idle
 * worker otherwise finds new jobs by polling (its drain delay), which was most of the time between
 * "start" and the run; the poll stays for jobs that arrive another way. The pull starts within the
 * call (not on a later turn, as bunqueue's own scheduling does): the request that started the run
 * still builds its answer, and the run should not wait for that. A worker with every slot taken
 * pulls nothing and takes the job once a slot is free, as it would anyway.
 */
class WakeableWorker<T> extends Worker<T, void> {
  wake(): void {
    void this.tryProcess()
  }
}

/**
 * The persisted queue between "start" and a runner slot, bunqueue in embedded mode with its own
 * SQLite file. Jobs run once: a run is never retried behind the user's back (attempts: 1); a crash
 * mid-run is reconciled by the task recovery, not by the queue. What it holds is derived from the
 * task database (the run outbox, see dispatch.ts), so the file can be rebuilt from there. A queue
 * file that cannot be used stops the start-up with a message naming it and how to recover.
 */
export class RunQueue {
  private readonly queue: Queue<RunJob>
  private readonly worker: WakeableWorker<RunJob>

  constructor(options: RunQueueOptions) {
    assertQueueFileSound(options.dataPath, options.taskDatabase)
    try {
      this.queue = new Queue<RunJob>(QUEUE_NAME, {
        embedded: true,
        dataPath: options.dataPath,
        defaultJobOptions: { attempts: 1, removeOnComplete: true, removeOnFail: true, durable: true },
      })
    } catch (error) {
      throw queueFileUnusable(options.dataPath, options.taskDatabase, (error as Error).message)
    }
    this.worker = new WakeableWorker<RunJob>(
      QUEUE_NAME,
      async (job) => {
        await options.processRun(job.data)
      },
      {
        embedded: true,
        dataPath: options.dataPath,
        concurrency: options.concurrency,
        // Agent runs last minutes to hours; liveness is the supervisor's job, not the queue's.
        skipStalledCheck: true,
        skipLockRenewal: true,
        // Jobs added here wake the worker (see WakeableWorker); the poll only backs that up.
        drainDelay: 500,
      },
    )
  }

  async enqueue(job: RunJob): Promise<void> {
    await this.queue.add('run', job, { jobId: jobIdOf(job), attempts: 1, durable: true })
    this.worker.wake()
  }

  /** Whether the job is still waiting for a slot or running (so it needs no re-enqueue after a restart). */
  async isPending(job: RunJob): Promise<boolean> {
    return isPendingState(await this.queue.getJobState(jobIdOf(job)))
  }

  /** Drops a job that has not been claimed yet; a claimed one is stopped through its supervisor. */
  async remove(job: RunJob): Promise<void> {
    await this.queue.removeAsync(jobIdOf(job))
  }

  async close(): Promise<void> {
    await this.worker.close(true)
    await this.queue.close()
    shutdownManager()
  }
}
