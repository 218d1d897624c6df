/**
 * The queue of remote runs: a bunqueue server (`bunqueue start`, SQLite, or PostgreSQL shared by
 * several brokers) reached over TCP with its auth token. The control plane adds one job per run
 * (RemoteRunQueue); runner hosts take them (RemoteRunWorker). The embedded queue (run-queue.ts)
 * keeps serving local runs beside it; both speak RunJob (jobs.ts) and fit the dispatch (dispatch.ts).
 *
 * Placement. bunqueue cannot route a job by label, so there is one queue per placement (runner +
 * label set, see remote-placement.ts), and a host pulls only from the queues of placements it can
 * serve. The other way, a host taking any job and handing back what it cannot serve, was refused:
 * a job handed back is out of the queue for a moment (a crash then loses it), it goes behind the
 * others, and hosts that cannot serve it can keep catching it first, so it can wait indefinitely
 * while a capable host idles. With one queue per placement nothing starves: a job waits only in a
 * queue that every capable host polls, and each host visits all its queues in turn, starting after
 * the one it served last, so no queue is always last. Hosts learn which placements exist from a
 * directory queue (PLACEMENT_DIRECTORY): the control plane records each placement there (job id =
 * its queue name, so once) before its first job; nothing takes those entries, hosts only read them.
 *
 * Exactly once. A job leaves the queue when a host takes it, not when the run ends: a run lasts
 * minutes to hours and its liveness is the control plane's business (runner leases), not a queue
 * lock's; the host's slot stays taken until the run ends. A broker can die between claiming a job
 * for a host and that host hearing of it (seen in tests/queue/broker.test.ts: the job stays claimed
 * by the dead broker). With attempts: 1 such a job would be failed unrun; so a claim that is never
 * acknowledged expires (CLAIM_LEASE_MS) and the job is handed out again, and what makes a run
 * happen once is the host's `claim` before running: the control plane grants each run to one host
 * only (the attempt's claim in the runner protocol), so a second delivery of a run already granted
 * is dropped. The queue is at least once, the claim makes it exactly once; the run itself is never
 * retried (a run that fails is failed, as for a local run).
 * Enqueueing a run the broker already knows (waiting, taken or failed) adds nothing.
 */
import { Queue, QueueEvents, Worker } from 'bunqueue/client'
import { AppError } from '../errors'
import { RUNNERS } from '../models/vocabulary'
import type { JobQueue } from './dispatch'
import { isPendingState, jobIdOf, type RunJob } from './jobs'
import type { BrokerConnection } from './remote-connection'
import {
  canonicalLabels,
  type HostCapabilities,
  PLACEMENT_DIRECTORY,
  type Placement,
  placementQueue,
  serves,
} from './remote-placement'

export type RemoteRunJob = RunJob & Placement

/** A job's data on the broker, in the API's spelling. */
interface WireJob {
  task_id: string
  run: number
  runner: string
  labels: string[]
}

interface DirectoryEntry {
  queue: string
  runner: string
  labels: string[]
}

/** Deliveries of one job: the first, and again each time a broker died holding an unacknowledged claim. */
const DELIVERIES = 3
const JOB_OPTIONS = {
  attempts: DELIVERIES,
  backoff: 0,
  durable: true,
  removeOnComplete: false,
  removeOnFail: false,
}

/** How long a claim may go unacknowledged (a broker died) before the job is handed out again. */
export const CLAIM_LEASE_MS = 10_000

const toWire = (job: RemoteRunJob): WireJob => ({
  task_id: job.taskId,
  run: job.run,
  runner: job.runner,
  labels: canonicalLabels(job.labels),
})

/** A broker's data is not trusted to be well-formed: anything else is refused, not run. */
function fromWire(data: unknown): RemoteRunJob | null {
  const wire = data as Partial<WireJob> | null
  if (typeof wire !== 'object' || wire === null) return null
  if (typeof wire.task_id !== 'string' || !Number.isSafeInteger(wire.run)) return null
  const runner = RUNNERS.find((known) => known === wire.runner)
  if (runner === undefined || !Array.isArray(wire.labels)) return null
  if (!wire.labels.every((label) => typeof label === 'string')) return null
  return { taskId: wire.task_id, run: wire.run as number, runner, labels: wire.labels }
}

/** The client reports a refused token and a broker that is down alike: say both. */
function unreachable(connection: BrokerConnection, error: unknown): AppError {
  return new AppError(
    'unavailable',
    'queue_unreachable',
    `the run broker at ${connection.host}:${connection.port} did not answer (${(error as Error).message}); ` +
      'it is down, or it does not accept the token in OPENRUNTIME_QUEUE_URL (bunqueue reports both as a lost connection)',
  )
}

/** The control plane's side: adds runs to the broker, one queue per placement. */
export class RemoteRunQueue implements JobQueue<RemoteRunJob> {
  private readonly queues = new Map<string, Queue<WireJob>>()
  private readonly directory: Queue<DirectoryEntry>
  private readonly recorded = new Set<string>()

  constructor(private readonly connection: BrokerConnection) {
    this.directory = new Queue<DirectoryEntry>(PLACEMENT_DIRECTORY, { connection })
  }

  private queueOf(job: RemoteRunJob): Queue<WireJob> {
    const name = placementQueue(job)
    let queue = this.queues.get(name)
    if (queue === undefined) {
      queue = new Queue<WireJob>(name, { connection: this.connection, defaultJobOptions: JOB_OPTIONS })
      this.queues.set(name, queue)
    }
    return queue
  }

  private async broker<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw unreachable(this.connection, error)
    }
  }

  async enqueue(job: RemoteRunJob): Promise<void> {
    const name = placementQueue(job)
    const queue = this.queueOf(job)
    await this.broker(async () => {
      if (!this.recorded.has(name)) {
        const entry = { queue: name, runner: job.runner, labels: canonicalLabels(job.labels) }
        await this.directory.add('placement', entry, { jobId: name, durable: true })
        this.recorded.add(name)
      }
      // A custom job id de-duplicates only while the job waits; the broker remembers taken ones.
      if ((await queue.getJobState(jobIdOf(job))) !== 'unknown') return
      await queue.add('run', toWire(job), { ...JOB_OPTIONS, jobId: jobIdOf(job) })
    })
  }

  async isPending(job: RemoteRunJob): Promise<boolean> {
    return this.broker(async () => isPendingState(await this.queueOf(job).getJobState(jobIdOf(job))))
  }

  /** The broker's word on a run: `waiting`, `completed` (a host took it), `failed`, `unknown`... */
  state(job: RemoteRunJob): Promise<string> {
    return this.broker(() => this.queueOf(job).getJobState(jobIdOf(job)))
  }

  /** Drops a job no host has taken yet; a taken one is stopped through its runner host. */
  async remove(job: RemoteRunJob): Promise<void> {
    await this.broker(() => this.queueOf(job).removeAsync(jobIdOf(job)))
  }

  async close(): Promise<void> {
    for (const queue of this.queues.values()) await queue.close()
    await this.directory.close()
  }
}

export interface RemoteRunWorkerOptions {
  connection: BrokerConnection
  host: HostCapabilities
  /** How many runs at once; a job is taken only when one is free. */
  slots: number
  /**
   * Asks the control plane for this run (first host wins); false: it was granted already (a second
   * delivery after a broker died) and is dropped.
   */
  claim: (job: RemoteRunJob) => Promise<boolean>
  /** Runs one claimed job to its end; its slot is free again when this settles. */
  run: (job: RemoteRunJob) => Promise<void>
  /** See CLAIM_LEASE_MS. */
  claimLeaseMs?: number
  /** A job refused (malformed, or not what its queue promised), a run that threw, a broker error. */
  onError: (error: Error) => void
  /**
   * Pause between polls while every queue it serves is empty. A job added to one of them wakes
   * the host at once (the broker pushes the event), so this only bounds a missed event.
   */
  idleMs?: number
  /** How often it reads the placement directory for new placements. */
  refreshMs?: number
}

/**
 * The runner host's side: takes jobs from every placement queue it can serve, up to its slots.
 * Each queue has a bunqueue Worker in manual mode (autorun off) so the slots are counted across
 * queues here, not per queue by bunqueue. A manual Worker cannot wait at the broker for a job, so
 * each queue (and the directory) also has a QueueEvents subscription: the broker pushes "waiting"
 * when a job is added, which ends the pause between polls (a run is picked up in about a round
 * trip, not in half a poll interval on average).
 */
export class RemoteRunWorker {
  private readonly workers = new Map<string, Worker<WireJob, void>>()
  private readonly subscriptions: QueueEvents[] = []
  private readonly directory: Queue<DirectoryEntry>
  private running = 0
  private turn = 0
  private refreshedAt = 0
  private closing = false
  private wake: () => void = () => {}
  /** A job was added since the last pass began: the next pause is skipped. */
  private nudged = false
  private readonly loop: Promise<void>

  constructor(private readonly options: RemoteRunWorkerOptions) {
    this.directory = new Queue<DirectoryEntry>(PLACEMENT_DIRECTORY, { connection: options.connection })
    // A new placement: read the directory now rather than at the next refresh.
    this.subscribe(PLACEMENT_DIRECTORY, () => {
      this.refreshedAt = 0
    })
    this.loop = this.takeWhileOpen()
  }

  private subscribe(queue: string, also: () => void = () => {}): void {
    const events = new QueueEvents(queue, { connection: this.options.connection })
    events.on('waiting', () => {
      also()
      this.nudged = true
      this.wake()
    })
    events.on('error', (error: Error) => this.options.onError(error))
    this.subscriptions.push(events)
  }

  /** Runs in progress on this host. */
  get busy(): number {
    return this.running
  }

  private pause(ms: number): Promise<void> {
    if (this.nudged) {
      this.nudged = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private async takeWhileOpen(): Promise<void> {
    const idleMs = this.options.idleMs ?? 200
    const refreshMs = this.options.refreshMs ?? 2_000
    while (!this.closing) {
      try {
        if (Date.now() - this.refreshedAt >= refreshMs) await this.refresh()
        if (this.running >= this.options.slots) await this.pause(refreshMs)
        else if (!(await this.takeOne())) await this.pause(idleMs)
      } catch (error) {
        this.options.onError(error as Error)
        await this.pause(idleMs)
      }
    }
  }

  /** Opens a Worker for each placement in the directory that this host serves. */
  private async refresh(): Promise<void> {
    const entries = await this.directory.getWaitingAsync(0, 10_000)
    this.refreshedAt = Date.now()
    for (const { data } of entries) {
      const runner = RUNNERS.find((known) => known === data.runner)
      if (runner === undefined || !Array.isArray(data.labels)) continue
      const placement = { runner, labels: data.labels }
      if (this.workers.has(data.queue) || data.queue !== placementQueue(placement)) continue
      if (!serves(this.options.host, placement)) continue
      const worker = new Worker<WireJob, void>(data.queue, async () => undefined, {
        connection: this.options.connection,
        autorun: false,
        // Acknowledgements in flight at once (one per slot at most); the slots are counted here.
        concurrency: this.options.slots,
        lockDuration: this.options.claimLeaseMs ?? CLAIM_LEASE_MS,
      })
      worker.on('error', (error) => this.options.onError(error))
      this.workers.set(data.queue, worker)
      this.subscribe(data.queue)
    }
  }

  /** One pass over the queues, from the one after the last served; takes at most one job. */
  private async takeOne(): Promise<boolean> {
    const names = [...this.workers.keys()]
    for (let step = 0; step < names.length && !this.closing; step++) {
      const index = (this.turn + step) % names.length
      const name = names[index] as string
      const worker = this.workers.get(name) as Worker<WireJob, void>
      const job = await worker.getNextJob()
      if (job === undefined) continue
      this.turn = index + 1
      // The run does not wait for the acknowledgement: a broker that died after recording it
      // never answers, and one that died before hands the job out again; either way the claim
      // in start() decides whether this host runs it.
      void worker.processJobManually(job).catch((error: Error) => this.options.onError(error))
      this.start(name, job.data)
      return true
    }
    return false
  }

  private start(queue: string, data: unknown): void {
    const job = fromWire(data)
    if (job === null || placementQueue(job) !== queue || !serves(this.options.host, job)) {
      this.options.onError(new Error(`refused a job from ${queue} that is not a run this host serves`))
      return
    }
    this.running++
    Promise.resolve()
      .then(async () => {
        if (await this.options.claim(job)) await this.options.run(job)
      })
      .catch((error: Error) => this.options.onError(error))
      .finally(() => {
        this.running--
        this.wake()
      })
  }

  /** Stops taking jobs; runs in progress go on (the host ends them). */
  async close(): Promise<void> {
    this.closing = true
    this.wake()
    await this.loop
    for (const events of this.subscriptions) events.close()
    for (const worker of this.workers.values()) await worker.close()
    await this.directory.close()
  }
}
