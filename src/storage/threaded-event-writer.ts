import { BatchOutcome } from './batch-outcome'
import type { BatchResult, EventWriter } from './event-batches'
import { encodeRows } from './event-rows'
import type { EventInsert } from './events'

/**
 * Writes batches on a thread of its own with its own connection, so a transaction of a thousand
 * rows (several milliseconds under load) no longer holds the event loop every request waits on.
 * `done` runs on the event loop once the thread committed (or refused) the batch, or within `wait`.
 */
export class ThreadedEventWriter implements EventWriter {
  private readonly worker: Worker
  private readonly outcome = new BatchOutcome()
  private sent = 0
  private settled = 0
  private done: ((result: BatchResult) => void) | null = null

  constructor(path: string) {
    // Unreferenced: a server with nothing else to do may exit; shutdown flushes before it closes this.
    this.worker = new Worker(new URL('./event-writer-thread.ts', import.meta.url), { ref: false })
    this.worker.postMessage({ path, outcome: this.outcome.buffer })
    this.worker.onmessage = ({ data }: MessageEvent<number>) => this.take(data)
  }

  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void {
    if (this.done) throw new Error('a batch is still being written')
    this.done = done
    this.sent++
    this.worker.postMessage({ batch: this.sent, rows: encodeRows(rows) })
  }

  wait(): void {
    if (this.settled === this.sent) return
    this.outcome.waitFor(this.sent)
    this.take(this.sent)
  }

  close(): void {
    this.worker.terminate()
  }

  /** Hands batch `batch`'s result to its caller once: from the thread's message or from `wait`. */
  private take(batch: number): void {
    if (batch <= this.settled) return
    this.settled = batch
    const done = this.done
    this.done = null
    done?.(this.outcome.result())
  }
}
