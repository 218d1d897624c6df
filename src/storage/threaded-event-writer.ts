import { BatchOutcome } from './batch-outcome'
import { type BatchResult, type EventWriter, InlineEventWriter } from './event-batches'
import { encodeRows, transferables } from './event-rows'
import type { EventInsert } from './events'
import type { Store } from './store'

/** What a batch in flight came to when the writer's thread ended before saying. */
export class WriterThreadEnded extends Error {
  override name = 'WriterThreadEnded'
}

const THREAD = new URL('./event-writer-thread.ts', import.meta.url)
/** Longest a close waits for the thread to close its connection: a shutdown must not hang on it. */
const CLOSE_MS = 5000

/**
 * Writes batches on a thread of its own with its own connection, so a transaction of a thousand
 * rows (several milliseconds under load) no longer holds the event loop every request waits on.
 * `done` runs on the event loop once the thread committed (or refused) the batch, or within `wait`.
 *
 * Should the thread end (an uncaught error, an exit), every batch from then on is written on the
 * store's own connection, and the one it left in flight is looked up there: committed, it is
 * reported written; else it is refused with WriterThreadEnded, and stays the caller's to retry.
 */
export class ThreadedEventWriter implements EventWriter {
  private readonly worker: Worker
  private readonly outcome = new BatchOutcome()
  private readonly inline: InlineEventWriter
  private sent = 0
  private settled = 0
  private done: ((result: BatchResult) => void) | null = null
  private inFlight: readonly EventInsert[] = []
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
    // Unreferenced: a server with nothing else to do may exit; shutdown flushes before it closes this.
    this.worker = new Worker(thread, { ref: false })
    this.worker.postMessage({ path: store.db.filename, outcome: this.outcome.buffer })
    this.worker.onmessage = ({ data }: MessageEvent<number>) => this.take(data)
    this.worker.addEventListener('error', (event) => {
      // Bun's message is a code frame, then "error: <the message>", then the stack.
      const line = (event as ErrorEvent).message?.split('\n').find((text) => text.startsWith('error: '))
      this.threadError = line?.slice('error: '.length) ?? 'an uncaught error'
    })
    this.worker.addEventListener('close', () => this.threadEnded('it exited'))
  }

  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void {
    if (this.done) throw new Error('a batch is still being written')
    if (this.endedWith !== null) {
      this.inline.write(rows, done)
      return
    }
    this.done = done
    this.inFlight = rows
    this.sent++
    const encoded = encodeRows(rows)
    this.worker.postMessage({ batch: this.sent, rows: encoded }, transferables(encoded))
  }

  wait(): void {
    if (this.settled === this.sent) return
    if (this.outcome.waitFor(this.sent, () => this.endedWith === null)) this.take(this.sent)
    else this.threadEnded('it exited')
  }

  /**
   * Lets the batch in flight settle, then has the thread close its connection and end, so the
   * store's file is the caller's alone once this returns. (A thread terminated instead would leave
   * its connection, and a transaction cut off half-way, to the garbage collector.)
   */
  close(): void {
    this.wait()
    if (this.endedWith === null) {
      this.endedWith = 'the writer was closed'
      this.worker.postMessage('close')
      if (!this.outcome.waitForEnd(CLOSE_MS))
        console.error("the event writer's thread did not end when closed")
    }
    this.worker.terminate()
  }

  /** Hands batch `batch`'s result to its caller once: from the thread's message or from `wait`. */
  private take(batch: number): void {
    if (batch <= this.settled) return
    this.settled = batch
    this.finish(this.outcome.result())
  }

  private finish(result: BatchResult): void {
    const done = this.done
    this.done = null
    this.inFlight = []
    done?.(result)
  }

  /** From now on batches are written inline; the one in flight, if any, is settled by what the store holds. */
  private threadEnded(reason: string): void {
    const first = this.endedWith === null
    this.endedWith ??= this.threadError ?? reason
    if (first)
      console.error(`the event writer's thread ended (${this.endedWith}): writing on the main connection`)
    if (this.settled === this.sent) return
    // It may have settled the batch just before it ended, its message still on the way.
    if (this.outcome.lastSettled >= this.sent) this.take(this.sent)
    else {
      this.settled = this.sent
      this.finish(this.storedOutcome())
    }
  }

  /**
   * What the batch in flight came to, from the store: a batch's rows are written together and its
   * seqs are unique, so its first row there means all of it is.
   */
  private storedOutcome(): BatchResult {
    const first = this.inFlight[0]
    const stored = first && this.store.events.after(first.task_id, first.seq - 1, 1)[0]
    if (stored && stored.seq === first.seq) return { firstId: Number(stored.id) }
    return { error: new WriterThreadEnded(`the event writer's thread ended: ${this.endedWith}`) }
  }
}
