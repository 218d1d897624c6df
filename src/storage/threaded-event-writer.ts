import { BATCH_SLOTS, BatchOutcome, BatchRecalled, BatchSkipped } from './batch-outcome'
import { CheckpointSignal } from './checkpoint-signal'
import { type BatchResult, type EventWriter, InlineEventWriter } from './event-batches'
import { encodeRows, transferables } from './event-rows'
import type { EventInsert } from './events'
import type { Store } from './store'

/** What a batch in flight came to when the writer's thread ended before saying. */
export class WriterThreadEnded extends Error {
  override name = 'WriterThreadEnded'
}

const THREAD = new URL('./event-writer-thread.ts', import.meta.url)
const CHECKPOINTER = new URL('./checkpoint-thread.ts', import.meta.url)
/** SQLite's own default, for the main connection once the thread is gone. */
const AUTOCHECKPOINT_PAGES = 1000
/** Longest a close waits for the thread to close its connection: a shutdown must not hang on it. */
const CLOSE_MS = 5000

interface Sent {
  batch: number
  rows: readonly EventInsert[]
  done: (result: BatchResult) => void
}

/**
 * Writes batches on a thread of its own with its own connection, so a transaction of a thousand
 * rows (several milliseconds under load) no longer holds the event loop every request waits on.
 * Two batches may be out at once: the thread takes the next the moment it committed one, instead
 * of idling while the event loop hears of it and sends another. They are written in their order,
 * and once one is refused the thread skips those sent before the refusal was taken (BatchSkipped),
 * so nothing is written past rows that were not. `done` runs on the event loop once the thread
 * committed (or refused) the batch, or within `wait`, in the order they were sent. A second batch
 * the thread has not begun can be recalled (`recallQueued`), so a unit of work waits for one.
 * The log's checkpoints run on a third thread, the checkpointer's (see checkpoint-thread.ts).
 *
 * Should the thread end (an uncaught error, an exit), every batch from then on is written on the
 * store's own connection, and those it left in flight are looked up there: committed, they are
 * reported written; else they are refused with WriterThreadEnded, and stay the caller's to retry.
 */
export class ThreadedEventWriter implements EventWriter {
  /** Once the thread ended, batches are written inline: none may go ahead of one still being settled. */
  get depth(): number {
    return this.endedWith === null ? BATCH_SLOTS : 1
  }
  private readonly worker: Worker
  private readonly outcome = new BatchOutcome()
  /** The log's checkpoints run on a thread of their own too, asked for by the writer's (see checkpoint-thread.ts). */
  private readonly checkpointer: Worker
  private readonly checkpoints = new CheckpointSignal()
  private closing = false
  private readonly inline: InlineEventWriter
  private sent = 0
  /** Sent and not settled yet, oldest first. */
  private readonly flight: Sent[] = []
  /** Bumped each time a refusal is taken: batches sent from then on are the thread's to write again. */
  private epoch = 0
  /** Why the thread ended, once it did. */
  private endedWith: string | null = null
  /** The uncaught error it ended on, if any: it comes just before the thread's close. */
  private threadError: string | null = null

  /** `thread` is the thread's script: tests give one that ends on cue. */
  constructor(
    private readonly store: Store,
    thread: URL = THREAD,
  ) {
    this.inline = new InlineEventWriter(store.db, store.events, store.tasks)
    // The checkpointer's thread checkpoints the log: a commit on the event loop that took the log
    // past its limit would otherwise copy it into the database there and then.
    store.db.exec('PRAGMA wal_autocheckpoint = 0')
    // Unreferenced: a server with nothing else to do may exit; shutdown flushes before it closes this.
    this.checkpointer = new Worker(CHECKPOINTER, { ref: false })
    this.checkpointer.postMessage({ path: store.db.filename, signal: this.checkpoints.buffer })
    this.checkpointer.addEventListener('close', () => {
      if (this.closing) return
      console.error("the checkpointer's thread ended: the main connection checkpoints the log")
      this.checkpointOnMainConnection()
    })
    this.worker = new Worker(thread, { ref: false })
    this.worker.postMessage({
      path: store.db.filename,
      outcome: this.outcome.buffer,
      checkpoints: this.checkpoints.buffer,
    })
    this.worker.onmessage = ({ data }: MessageEvent<number>) => this.take(data)
    this.worker.addEventListener('error', (event) => {
      // Bun's message is a code frame, then "error: <the message>", then the stack.
      const line = (event as ErrorEvent).message?.split('\n').find((text) => text.startsWith('error: '))
      this.threadError = line?.slice('error: '.length) ?? 'an uncaught error'
    })
    this.worker.addEventListener('close', () => this.threadEnded('it exited'))
  }

  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void {
    if (this.flight.length >= BATCH_SLOTS) throw new Error(`${BATCH_SLOTS} batches are being written already`)
    if (this.endedWith !== null) {
      this.inline.write(rows, done)
      return
    }
    this.sent++
    this.flight.push({ batch: this.sent, rows, done })
    const encoded = encodeRows(rows)
    this.worker.postMessage({ batch: this.sent, epoch: this.epoch, rows: encoded }, transferables(encoded))
  }

  /**
   * The oldest batch out is written (the thread is on it, or about to be); the one behind it comes
   * back as BatchRecalled unless the thread has begun it already.
   */
  recallQueued(): void {
    const queued = this.flight[1]
    if (queued) this.outcome.recall(queued.batch)
  }

  wait(): void {
    const last = this.flight.at(-1)
    if (!last) return
    if (this.outcome.waitFor(last.batch, () => this.endedWith === null)) this.take(last.batch)
    else this.threadEnded('it exited')
  }

  /**
   * Lets the batches in flight settle, then has the thread close its connection and end, so the
   * store's file is the caller's alone once this returns. (A thread terminated instead would leave
   * its connection, and a transaction cut off half-way, to the garbage collector.)
   */
  close(): void {
    this.wait()
    this.closing = true
    if (this.endedWith === null) {
      this.endedWith = 'the writer was closed'
      this.worker.postMessage('close')
      if (!this.outcome.waitForEnd(CLOSE_MS))
        console.error("the event writer's thread did not end when closed")
    }
    this.worker.terminate()
    this.checkpoints.close()
    if (!this.checkpoints.waitForEnd(CLOSE_MS))
      console.error("the checkpointer's thread did not end when closed")
    this.checkpointer.terminate()
    this.checkpointOnMainConnection()
  }

  /** The main connection checkpoints the log itself again, as SQLite does by default. */
  private checkpointOnMainConnection(): void {
    this.store.db.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
  }

  /** Hands each batch up to `batch` its result once, oldest first: from the thread's message or from `wait`. */
  private take(batch: number): void {
    while (this.flight[0] && this.flight[0].batch <= batch) {
      const sent = this.flight[0]
      this.settle(sent, this.outcome.result(sent.batch))
    }
  }

  private settle(sent: Sent, result: BatchResult): void {
    this.flight.shift()
    // Neither a skipped nor a recalled batch was refused: only a refusal starts a new epoch.
    if ('error' in result && !(result.error instanceof BatchSkipped || result.error instanceof BatchRecalled))
      this.epoch++
    sent.done(result)
  }

  /** From now on batches are written inline; those in flight are settled by what the store holds. */
  private threadEnded(reason: string): void {
    const first = this.endedWith === null
    this.endedWith ??= this.threadError ?? reason
    if (first) {
      console.error(`the event writer's thread ended (${this.endedWith}): writing on the main connection`)
      this.checkpointOnMainConnection()
    }
    // Every batch out is looked up before any is reported: what a report starts is written inline,
    // and must find the store as the thread left it.
    const outcomes = this.flight.map((sent) =>
      // It may have settled a batch just before it ended, its message still on the way.
      this.outcome.lastSettled >= sent.batch
        ? this.outcome.result(sent.batch)
        : this.storedOutcome(sent.rows),
    )
    for (const outcome of outcomes) this.settle(this.flight[0] as Sent, outcome)
  }

  /**
   * What a batch in flight came to, from the store: a batch's rows are written together and its
   * seqs are unique, so its first row there means all of it is.
   */
  private storedOutcome(rows: readonly EventInsert[]): BatchResult {
    const first = rows[0]
    const stored = first && this.store.events.after(first.task_id, first.seq - 1, 1)[0]
    if (stored && stored.seq === first.seq) return { firstId: Number(stored.id) }
    return { error: new WriterThreadEnded(`the event writer's thread ended: ${this.endedWith}`) }
  }
}
