import type { BatchResult } from './event-batches'

/**
 * Where the event writer's thread leaves what each batch came to, for the main thread to read even
 * while it blocks waiting for it: the number of the last batch settled (what `Atomics.wait`
 * watches), whether the thread ended, the batch the main thread recalled last (see `recall`), and
 * per batch whether it failed, its first row's id, and the error as JSON. Batch n has slot n % BATCH_SLOTS: a slot is written again only by a batch sent
 * after the main thread took the one before, since no more than BATCH_SLOTS are out at once.
 */
export const BATCH_SLOTS = 2
const SETTLED = 0
const ENDED = 1
const RECALLED = 2
const failedAt = (slot: number) => 3 + slot * 2
const errorBytesAt = (slot: number) => 4 + slot * 2
const INTS = 3 + 2 * BATCH_SLOTS
const FIRST_IDS_AT = 8 * Math.ceil((INTS * 4) / 8)
const ERRORS_AT = FIRST_IDS_AT + 8 * BATCH_SLOTS
const SIZE = 8192
const ERROR_SIZE = Math.floor((SIZE - ERRORS_AT) / BATCH_SLOTS)
/** How long one wait lasts before it checks again that the thread is still there. */
const CHECK_MS = 100

/** What a batch came to when the thread refused an earlier one it had not been told of yet: nothing was written. */
export class BatchSkipped extends Error {
  override name = 'BatchSkipped'
}

/**
 * What a batch came to when the main thread recalled it before the thread began it: nothing was
 * written, and nothing was refused either. Its rows are the caller's to send again.
 */
export class BatchRecalled extends Error {
  override name = 'BatchRecalled'
}

export class BatchOutcome {
  private readonly ints: Int32Array
  private readonly firstIds: Float64Array
  private readonly errorTexts: Uint8Array[]

  constructor(readonly buffer = new SharedArrayBuffer(SIZE)) {
    this.ints = new Int32Array(buffer, 0, INTS)
    this.firstIds = new Float64Array(buffer, FIRST_IDS_AT, BATCH_SLOTS)
    this.errorTexts = Array.from(
      { length: BATCH_SLOTS },
      (_, slot) => new Uint8Array(buffer, ERRORS_AT + slot * ERROR_SIZE, ERROR_SIZE),
    )
  }

  /** The writer's side: records batch `batch`'s result, then wakes whoever waits for it. */
  settle(batch: number, result: BatchResult): void {
    const slot = batch % BATCH_SLOTS
    if ('error' in result) {
      const { message, name } = result.error
      const code = (result.error as { code?: unknown }).code
      const json = new TextEncoder().encode(JSON.stringify({ message, name, code }))
      const errorText = this.errorTexts[slot] as Uint8Array
      // An error too long for the buffer keeps its start: the code and name come first.
      const length = Math.min(json.length, errorText.length)
      errorText.set(json.subarray(0, length))
      Atomics.store(this.ints, errorBytesAt(slot), length)
      Atomics.store(this.ints, failedAt(slot), 1)
    } else {
      this.firstIds[slot] = result.firstId
      Atomics.store(this.ints, failedAt(slot), 0)
    }
    Atomics.store(this.ints, SETTLED, batch)
    Atomics.notify(this.ints, SETTLED)
  }

  /** The writer's side, as its thread ends: whoever waits stops waiting for a batch that will never settle. */
  end(): void {
    Atomics.store(this.ints, ENDED, 1)
    Atomics.notify(this.ints, SETTLED)
    Atomics.notify(this.ints, ENDED)
  }

  /** Blocks until the thread ended (true), or for `ms` at most (false). */
  waitForEnd(ms: number): boolean {
    return Atomics.wait(this.ints, ENDED, 0, ms) !== 'timed-out'
  }

  /**
   * The main thread's side: batch `batch` is not to be written if the thread has not begun it (it
   * settles as BatchRecalled). One number, written and read whole: with BATCH_SLOTS out at most,
   * the only batch that can wait behind the one being written is the second.
   */
  recall(batch: number): void {
    Atomics.store(this.ints, RECALLED, batch)
  }

  /** The writer's side: whether batch `batch` was recalled before it began it. */
  recalled(batch: number): boolean {
    return Atomics.load(this.ints, RECALLED) === batch
  }

  /** The number of the last batch settled. */
  get lastSettled(): number {
    return Atomics.load(this.ints, SETTLED)
  }

  /**
   * Blocks until batch `batch` is settled (true) or the thread ended without settling it (false):
   * it said so (see `end`), or `alive` says so. Each wait is bounded, so `alive` is asked again
   * every moment, not only when a wake-up comes.
   */
  waitFor(batch: number, alive: () => boolean): boolean {
    for (let seen = this.lastSettled; seen < batch; seen = this.lastSettled) {
      if (Atomics.load(this.ints, ENDED) === 1 || !alive()) return false
      Atomics.wait(this.ints, SETTLED, seen, CHECK_MS)
    }
    return true
  }

  /** What batch `batch` came to (it must be settled, and not yet followed by BATCH_SLOTS more). */
  result(batch: number): BatchResult {
    const slot = batch % BATCH_SLOTS
    if (Atomics.load(this.ints, failedAt(slot)) === 0) return { firstId: this.firstIds[slot] as number }
    const length = Atomics.load(this.ints, errorBytesAt(slot))
    // A copy: TextDecoder does not read shared memory.
    const text = new TextDecoder().decode((this.errorTexts[slot] as Uint8Array).slice(0, length))
    let parsed: { message?: string; name?: string; code?: unknown }
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = { message: text }
    }
    if (parsed.name === 'BatchSkipped') return { error: new BatchSkipped(parsed.message) }
    if (parsed.name === 'BatchRecalled') return { error: new BatchRecalled(parsed.message) }
    const error = new Error(parsed.message ?? 'the event writer failed')
    if (parsed.name) error.name = parsed.name
    return { error: Object.assign(error, parsed.code === undefined ? {} : { code: parsed.code }) }
  }
}
