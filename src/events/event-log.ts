import type { JsonObject, NewEvent, TaskEvent } from '../domain'
import { BatchRecalled, BatchSkipped } from '../storage/batch-outcome'
import { type BatchResult, type EventWriter, InlineEventWriter } from '../storage/event-batches'
import type { EventInsert } from '../storage/events'
import type { Store } from '../storage/store'
import { WriterThreadEnded } from '../storage/threaded-event-writer'
import type { EventBus } from './event-bus'

export interface EventLogOptions {
  /** Longest time an appended event waits in memory before its batch is written. */
  flushMs: number
  /** A batch this large is written at once instead of waiting for the timer. */
  batchSize?: number
  /** Above this many unwritten events, producers are asked to wait (see `room`). */
  highWater?: number
  /**
   * Above this many unwritten events of one task, that task's producer is asked to wait: what a
   * transition of the task must write first (its own output) stays one short transaction.
   */
  taskHighWater?: number
  /** A batch smaller than this says the log is quiet: what comes next is written on the next tick. */
  quietBatchRows?: number
  /** A batch stops growing at this many characters of text, so one transaction stays short. */
  batchChars?: number
  /** Above this many unwritten characters, producers are asked to wait: memory stays bounded. */
  highWaterChars?: number
  /**
   * Writes the batches (by default on the store's connection, within the call). A transition's
   * own unit of work is always written on the store's connection, once this writer is done.
   */
  writer?: EventWriter
}

/** A quiet batch holds less text than this too: a few long lines are still the thread's to write. */
const QUIET_BATCH_CHARS = 64 * 1024

/** The due time of a flush on the next turn of the event loop: earlier than any clock time. */
const NEXT_TURN = 0

/** How soon a batch storage refused is tried again. */
const RETRY_MS = 250

interface Pending extends EventInsert {
  metadata: JsonObject | null
  /** Characters of text it holds (message and metadata), what batches and backpressure count. */
  chars: number
}

/**
 * The timeline's single writer. Output is appended to memory and written in batches (one
 * transaction for many events, in their order; a writer with a thread of its own gets the next
 * full one while it writes one); each event gets its per-task seq when appended, so order is the
 * order of `append` calls. Subscribers only ever see events after their batch committed: what a
 * client saw is on disk. Batches being written stay at the head of the buffer until they
 * committed, so seqs, backpressure and a retry all still count them.
 */
export class EventLog {
  private pending: Pending[] = []
  /** How many of the oldest buffered events the writer is writing now (their text, their batches below). */
  private inFlight = 0
  private inFlightChars = 0
  private inFlightBatches = 0
  /** A refusal taken while a later batch was still out: it is dealt with once that one came back too. */
  private deferredFailure: Error | null = null
  /** What the last batch came to, for `flush` to report: null when written. */
  private lastOutcome: Error | 'dropped' | null = null
  private readonly writer: EventWriter
  /** The store's own connection: a transition's task output is written there, in its order. */
  private readonly inline: InlineEventWriter
  private pendingChars = 0
  private lastFlushAt = 0
  private lastBatchRows = 0
  private timerDue = 0
  private readonly nextSeq = new Map<string, number>()
  /** Cancels the scheduled flush; null when none is. */
  private timer: (() => void) | null = null
  private roomWaiters: { taskId: string | undefined; resolve: () => void }[] = []
  private writtenWaiters: { taskId: string; resolve: () => void }[] = []
  /** Unwritten events per task. */
  private readonly pendingOf = new Map<string, number>()
  private lastError: Error | null = null
  /** How many `settleInFlight` calls are waiting (they nest): a batch settling then leaves the next to the timer. */
  private holding = 0
  private readonly writeFailureListeners = new Set<(error: Error) => void>()
  private readonly batchSize: number
  private readonly quietBatchRows: number
  private readonly highWater: number
  private readonly taskHighWater: number
  private readonly batchChars: number
  private readonly highWaterChars: number

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly options: EventLogOptions,
  ) {
    this.batchSize = options.batchSize ?? 1000
    this.quietBatchRows = options.quietBatchRows ?? 64
    this.highWater = options.highWater ?? 10_000
    this.taskHighWater = options.taskHighWater ?? 2 * this.batchSize
    this.batchChars = options.batchChars ?? 4 * 1024 * 1024
    this.highWaterChars = options.highWaterChars ?? 32 * 1024 * 1024
    this.inline = new InlineEventWriter(store.db, store.events, store.tasks)
    this.writer = options.writer ?? this.inline
  }

  /**
   * Buffers an event; it is persisted within `flushMs` (or sooner when the batch is full). A run's
   * output names its attempt beside the event rather than in a copy of it.
   */
  append(taskId: string, event: NewEvent, attemptId: string | null = event.attempt_id ?? null): void {
    const row = this.toPending(taskId, event, attemptId)
    this.pending.push(row)
    this.pendingChars += row.chars
    this.pendingOf.set(taskId, (this.pendingOf.get(taskId) ?? 0) + 1)
    // A quiet log (its last batch small) writes on the next tick: low latency for a run's first line
    // and for output that trickles. A busy one writes at most once per flushMs, so a burst still
    // lands as a few large transactions.
    const writerHasRoom = this.inFlightBatches < this.writer.depth
    if ((this.batchReady() && writerHasRoom) || this.lastBatchRows < this.quietBatchRows)
      this.scheduleFlush(0)
    else this.scheduleFlushAt(this.lastFlushAt + this.options.flushMs)
  }

  /**
   * One unit of work: `write` (row changes) and `events` in one transaction, stamped with one time,
   * and published only once it committed. The task's buffered output is written first, so it stays
   * before these events in the timeline and cannot be lost to a rollback; other tasks' output is
   * left to its batches (a timeline is ordered per task), so a transition never waits for theirs. Throws what storage threw; then
   * nothing was written.
   */
  commit(
    taskId: string,
    events: NewEvent[],
    write?: (at: string) => void,
    at = new Date().toISOString(),
  ): TaskEvent[] {
    this.flushTask(taskId)
    let written: TaskEvent[]
    try {
      written = this.store.transaction(() => {
        write?.(at)
        return this.writeInTransaction(taskId, events, at)
      })
    } catch (error) {
      this.forgetSeq(taskId)
      throw error
    }
    this.published(taskId, written)
    return written
  }

  private writeInTransaction(taskId: string, events: NewEvent[], at?: string): TaskEvent[] {
    // The transaction's own time, so the events agree with the timestamps written beside them.
    const rows = events.map((event) => this.toPending(taskId, event, event.attempt_id ?? null, at))
    // Multi-row inserts: a runner host's batch of thousands is one unit of work too.
    const firstId = this.store.events.insertMany(rows)
    return rows.map((row, index) => this.toTaskEvent(firstId + index, row))
  }

  private published(taskId: string, events: TaskEvent[]): void {
    if (events.length > 0) this.bus.publishEvents(taskId, events)
  }

  /** The task's seqs are not what was stored (a rollback, a deleted task): read them again when next needed. */
  forgetSeq(taskId: string): void {
    this.nextSeq.delete(taskId)
  }

  /**
   * Writes everything buffered now, a batch (one transaction) at a time. Throws if storage refuses
   * a write (what was not written stays buffered).
   */
  flush(): void {
    this.timer?.()
    this.timer = null
    this.writer.wait()
    while (this.pending.length > 0) {
      // A batch the writer settled may have started the next one already.
      if (this.inFlight === 0) this.writeNextBatch()
      this.writer.wait()
      const outcome = this.lastOutcome
      // A writer whose thread ended writes the next batch inline: the refused one goes again at once.
      if (outcome !== null && outcome !== 'dropped' && !(outcome instanceof WriterThreadEnded)) throw outcome
    }
  }

  /** Writes the task's buffered events (and only those) in one transaction on the store's connection. */
  flushTask(taskId: string): void {
    this.settleInFlight()
    if (!this.pending.some((row) => row.task_id === taskId)) return
    this.write(
      this.inline,
      this.pending.filter((row) => row.task_id === taskId),
    )
    const outcome = this.lastOutcome
    if (outcome === 'dropped') this.flushTask(taskId)
    else if (outcome !== null) throw outcome
  }

  /** Stops the writer; what is still buffered stays unwritten (`flush` first). */
  close(): void {
    this.timer?.()
    this.timer = null
    this.writer.close()
  }

  /** Drops what is buffered for a task that no longer exists (its rows went with it). */
  discardTask(taskId: string): void {
    this.settleInFlight()
    this.pending = this.pending.filter((row) => row.task_id !== taskId)
    this.pendingChars = sumChars(this.pending)
    this.pendingOf.delete(taskId)
    this.nextSeq.delete(taskId)
    this.releaseRoom()
    this.releaseWritten(false)
  }

  /**
   * Lets the batch being written settle without the writer taking the next one: the caller is about
   * to change the buffer itself (a task's rows written inline, or dropped), and rows in flight would
   * be written twice or go missing from under the batch.
   */
  private settleInFlight(): void {
    this.holding++
    try {
      // A batch queued behind the one being written comes back unwritten rather than be waited for:
      // a transition waits for one batch at most, and its rows go out with the next.
      this.writer.recallQueued()
      this.writer.wait()
    } finally {
      this.holding--
    }
  }

  /**
   * Has `writer` write `batch` (buffered rows, in their order, none of them already being written);
   * once it committed they leave the buffer and are published.
   */
  private write(writer: EventWriter, batch: Pending[], chars = sumChars(batch)): void {
    this.lastFlushAt = Date.now()
    this.lastBatchRows = batch.length
    this.inFlight += batch.length
    this.inFlightChars += chars
    this.inFlightBatches++
    writer.write(batch, (result) => this.settled(writer, batch, chars, result))
  }

  /**
   * The oldest buffered events not yet out, up to a batch's size, to the writer. A quiet log's
   * batch (fewer rows than quietBatchRows, and little text) is written on the store's connection
   * instead: those few rows cost less there than the trip to the writer's thread and back, a
   * millisecond and more on a busy machine, which a run's first line would wait out.
   */
  private writeNextBatch(): void {
    const from = this.inFlight
    const batch = this.pending.slice(from, from + this.batchLength(from))
    const chars = sumChars(batch)
    // Never while a batch is out: written here, these rows would commit ahead of older ones.
    const inline =
      batch.length < this.quietBatchRows && chars < QUIET_BATCH_CHARS && this.inFlightBatches === 0
    this.write(inline ? this.inline : this.writer, batch, chars)
  }

  /**
   * While a batch is being written, the next full one goes to the writer too, as many as it takes
   * at once (its depth): it starts on it the moment it committed the first. Not while a refusal is
   * waiting for the batch behind it (the rows at the head are then not the ones out), nor while
   * someone waits for `written`: that needs the writer idle for a moment, which batches kept out
   * back to back under other tasks' output would never leave it.
   */
  private writeAhead(): void {
    while (
      this.inFlightBatches > 0 &&
      this.inFlightBatches < this.writer.depth &&
      this.holding === 0 &&
      this.deferredFailure === null &&
      this.writtenWaiters.length === 0 &&
      this.batchReady()
    )
      this.writeNextBatch()
  }

  private settled(writer: EventWriter, batch: Pending[], chars: number, result: BatchResult): void {
    this.inFlight -= batch.length
    this.inFlightChars -= chars
    this.inFlightBatches--
    if ('error' in result) {
      // The batches sent after a refused one come back skipped, unwritten: the refusal is dealt
      // with once none is out, so the buffer is not changed under a batch in flight.
      const recalled = result.error instanceof BatchRecalled
      if (!(result.error instanceof BatchSkipped) && !recalled) this.deferredFailure ??= result.error
      if (this.inFlightBatches > 0) return
      // Recalled and nothing refused: its rows, still at the head of the buffer, go with the next batch.
      if (recalled && this.deferredFailure === null) {
        this.scheduleFlush(0)
        return
      }
      const error = this.deferredFailure ?? result.error
      this.deferredFailure = null
      if (this.dropEventsOfDeletedTasks(error)) {
        this.lastOutcome = 'dropped'
        this.releaseWritten(false)
        this.scheduleFlush(0)
        return
      }
      this.lastOutcome = error
      this.releaseWritten(true)
      const startsOutage = this.lastError === null
      this.lastError = error
      if (startsOutage) for (const listener of this.writeFailureListeners) listener(error)
      // Whoever called, the batch stays buffered and is tried again later.
      this.scheduleFlush(Math.max(this.options.flushMs, RETRY_MS))
      return
    }
    this.lastOutcome = null
    this.remove(batch)
    this.pendingChars = this.pending.length === 0 ? 0 : this.pendingChars - chars
    for (const row of batch) {
      const left = (this.pendingOf.get(row.task_id) ?? 1) - 1
      if (left === 0) this.pendingOf.delete(row.task_id)
      else this.pendingOf.set(row.task_id, left)
    }
    this.lastError = null
    for (const [taskId, events] of this.toPublish(batch, result.firstId))
      this.bus.publishEvents(taskId, events)
    this.releaseRoom()
    const released = this.releaseWritten(false)
    if (this.pending.length === this.inFlight) return
    // The batch still out settles next, and what follows it then.
    if (this.inFlightBatches > 0) {
      this.writeAhead()
      return
    }
    // A writer of its own can take the next full batch at once: building it is all the event loop
    // does. Written inline, each batch waits for the next tick, so requests get their turn between.
    if (writer !== this.inline && !released && this.holding === 0 && this.batchReady()) {
      this.writeNextBatch()
      this.writeAhead()
    } else this.scheduleFlush(0)
  }

  /** Whether a full batch is buffered beyond what is being written. */
  private batchReady(): boolean {
    return (
      this.pending.length - this.inFlight >= this.batchSize ||
      this.pendingChars - this.inFlightChars >= this.batchChars
    )
  }

  /** Takes a written batch out of the buffer: its oldest rows, or (a transition's task) rows among them. */
  private remove(batch: Pending[]): void {
    if (batch[0] === this.pending[0] && batch[batch.length - 1] === this.pending[batch.length - 1]) {
      // In place: under load some ten thousand rows stay buffered, and copying them after every
      // batch cost the event loop four times what taking the batch off the front does.
      this.pending.splice(0, batch.length)
      return
    }
    const written = new Set(batch)
    this.pending = this.pending.filter((row) => !written.has(row))
  }

  /**
   * Resolves once none of the task's events is buffered and no batch is being written, or once a
   * batch was refused (what writes next then meets the refusal itself). The next batch then waits
   * for a timer, so what runs on the resolution finds the writer idle: a unit of work committed
   * there neither writes the task's output within the call nor blocks waiting for a batch.
   */
  written(taskId: string): Promise<void> {
    if (this.isWritten(taskId)) return Promise.resolve()
    return new Promise((resolve) => this.writtenWaiters.push({ taskId, resolve }))
  }

  private isWritten(taskId: string): boolean {
    return this.inFlight === 0 && !this.pendingOf.has(taskId)
  }

  /** Resolves the `written` waiters whose task is written (all of them: a batch was refused); true if any. */
  private releaseWritten(all: boolean): boolean {
    if (this.writtenWaiters.length === 0) return false
    const waiting = this.writtenWaiters
    this.writtenWaiters = all ? [] : waiting.filter((waiter) => !this.isWritten(waiter.taskId))
    for (const waiter of waiting) if (all || this.isWritten(waiter.taskId)) waiter.resolve()
    return this.writtenWaiters.length < waiting.length
  }

  /**
   * Resolves when the buffer is below its high-water mark (and, given a task, that task's share
   * below its own): readers await this to apply backpressure.
   */
  room(taskId?: string): Promise<void> | null {
    if (!this.full(taskId)) return null
    return new Promise((resolve) => this.roomWaiters.push({ taskId, resolve }))
  }

  /**
   * Called when storage starts refusing batches (once per outage: the next successful write ends
   * it). The refused events stay buffered and are retried.
   */
  onWriteFailure(listener: (error: Error) => void): () => void {
    this.writeFailureListeners.add(listener)
    return () => this.writeFailureListeners.delete(listener)
  }

  /** The last storage error, if the most recent flush failed. */
  get writeError(): Error | null {
    return this.lastError
  }

  get bufferedCount(): number {
    return this.pending.length
  }

  /**
   * A task deleted while something still appended to it (its run ending, say) makes the whole batch
   * fail its foreign key, and retrying would block every other task's events forever. Those events
   * have nowhere to go: the user deleted their task. Drops them, saying so; true when it did.
   */
  private dropEventsOfDeletedTasks(error: unknown): boolean {
    if ((error as { code?: unknown } | null)?.code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') return false
    const gone = new Set(
      [...new Set(this.pending.map((row) => row.task_id))].filter((id) => !this.store.tasks.get(id)),
    )
    if (gone.size === 0) return false
    const before = this.pending.length
    this.pending = this.pending.filter((row) => !gone.has(row.task_id))
    this.pendingChars = sumChars(this.pending)
    for (const id of gone) this.pendingOf.delete(id)
    for (const id of gone) this.nextSeq.delete(id)
    console.error(
      `dropped ${before - this.pending.length} event(s) of deleted task(s) ${[...gone].join(', ')}`,
    )
    return true
  }

  /** How many buffered events from `from` on make a batch: at most batchSize events and batchChars characters, at least one. */
  private batchLength(from: number): number {
    const most = Math.min(this.batchSize, this.pending.length - from)
    let total = 0
    for (let i = 0; i < most; i++) {
      total += (this.pending[from + i] as Pending).chars
      if (total >= this.batchChars) return i + 1
    }
    return most
  }

  private full(taskId?: string): boolean {
    return (
      this.pending.length >= this.highWater ||
      this.pendingChars >= this.highWaterChars ||
      (taskId !== undefined && (this.pendingOf.get(taskId) ?? 0) >= this.taskHighWater)
    )
  }

  /** The written rows as events, by task, for the tasks someone listens to. */
  private toPublish(batch: Pending[], firstId: number): Map<string, TaskEvent[]> {
    const written = new Map<string, TaskEvent[]>()
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i] as Pending
      if (!this.bus.hasTaskListeners(row.task_id)) continue
      let list = written.get(row.task_id)
      if (!list) {
        list = []
        written.set(row.task_id, list)
      }
      list.push(this.toTaskEvent(firstId + i, row))
    }
    return written
  }

  private toPending(taskId: string, event: NewEvent, attemptId: string | null, at?: string): Pending {
    const metadata = event.metadata ?? null
    const metadataJson = metadata === null ? null : JSON.stringify(metadata)
    return {
      task_id: taskId,
      seq: this.allocateSeq(taskId),
      attempt_id: attemptId,
      kind: event.kind,
      message: event.message,
      metadata,
      metadata_json: metadataJson,
      created_at: at ?? this.timestamp(),
      chars: event.message.length + (metadataJson?.length ?? 0),
    }
  }

  // Formatting a date costs more than storing a short line; output arrives in bursts within a millisecond.
  private stampMs = 0
  private stamp = ''
  private timestamp(): string {
    const ms = Date.now()
    if (ms !== this.stampMs) {
      this.stampMs = ms
      this.stamp = new Date(ms).toISOString()
    }
    return this.stamp
  }

  private toTaskEvent(id: number, row: Pending): TaskEvent {
    return {
      id: String(id),
      task_id: row.task_id,
      seq: row.seq,
      attempt_id: row.attempt_id,
      kind: row.kind,
      message: row.message,
      metadata: row.metadata,
      created_at: row.created_at,
    }
  }

  private allocateSeq(taskId: string): number {
    let next = this.nextSeq.get(taskId)
    if (next === undefined) {
      const buffered = this.pending.findLast((row) => row.task_id === taskId)
      next = (buffered?.seq ?? this.store.events.maxSeq(taskId)) + 1
    }
    this.nextSeq.set(taskId, next + 1)
    return next
  }

  /** A flush `delay` ms from now; 0 is the next turn of the event loop. */
  private scheduleFlush(delay: number): void {
    this.scheduleFlushAt(delay <= 0 ? NEXT_TURN : Date.now() + delay)
  }

  /**
   * A flush at `due` (a Date.now time, or NEXT_TURN). An earlier (or equally early) flush already
   * scheduled takes this event too: found without reading the clock, which an append per line of
   * output would otherwise do twice.
   */
  private scheduleFlushAt(due: number): void {
    if (this.timer && this.timerDue <= due) return
    const delay = due === NEXT_TURN ? 0 : due - Date.now()
    this.timer?.()
    this.timerDue = delay <= 0 ? NEXT_TURN : due
    const fire = () => {
      this.timer = null
      if (this.pending.length === this.inFlight) return
      // A batch being written schedules the next once it settled; only a full one goes ahead of it.
      if (this.inFlight > 0) {
        this.writeAhead()
        return
      }
      // A burst is written a batch at a time: one huge transaction would hold the store (and, written
      // inline, the event loop every request waits on) for as long as it takes. A refused batch stays
      // buffered with a retry scheduled; `onWriteFailure` listeners stop the runs producing it.
      this.writeNextBatch()
      this.writeAhead()
    }
    // "Now" is the next turn of the event loop, not a timer: a timer's shortest wait is a whole
    // millisecond, which a run's first line would spend idle before it is written.
    if (delay <= 0) {
      const immediate = setImmediate(fire)
      this.timer = () => clearImmediate(immediate)
    } else {
      const timeout = setTimeout(fire, delay)
      this.timer = () => clearTimeout(timeout)
    }
  }

  private releaseRoom(): void {
    if (this.full()) return
    const waiting = this.roomWaiters
    this.roomWaiters = waiting.filter((waiter) => this.full(waiter.taskId))
    for (const waiter of waiting) if (!this.full(waiter.taskId)) waiter.resolve()
  }
}

const sumChars = (rows: Pending[]): number => rows.reduce((sum, row) => sum + row.chars, 0)
