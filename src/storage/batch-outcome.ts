import type { BatchResult } from './event-batches'

/**
 * Where the event writer's thread leaves what a batch came to, for the main thread to read even
 * while it blocks waiting for it: the number of the last batch settled (what `Atomics.wait`
 * watches), whether it failed, whether the thread ended, the first row's id, and the error as JSON.
 */
const SETTLED = 0
const FAILED = 1
const ERROR_BYTES = 2
const ENDED = 3
const FIRST_ID_AT = 16
const ERROR_AT = 24
const SIZE = 8192
/** How long one wait lasts before it checks again that the thread is still there. */
const CHECK_MS = 100

export class BatchOutcome {
  private readonly ints: Int32Array
  private readonly firstId: Float64Array
  private readonly errorText: Uint8Array

  constructor(readonly buffer = new SharedArrayBuffer(SIZE)) {
    this.ints = new Int32Array(buffer, 0, 4)
    this.firstId = new Float64Array(buffer, FIRST_ID_AT, 1)
    this.errorText = new Uint8Array(buffer, ERROR_AT)
  }

  /** The writer's side: records batch `batch`'s result, then wakes whoever waits for it. */
  settle(batch: number, result: BatchResult): void {
    if ('error' in result) {
      const { message, name } = result.error
      const code = (result.error as { code?: unknown }).code
      const json = new TextEncoder().encode(JSON.stringify({ message, name, code }))
      // An error too long for the buffer keeps its start: the code and name come first.
      const length = Math.min(json.length, this.errorText.length)
      this.errorText.set(json.subarray(0, length))
      Atomics.store(this.ints, ERROR_BYTES, length)
      Atomics.store(this.ints, FAILED, 1)
    } else {
      this.firstId[0] = result.firstId
      Atomics.store(this.ints, FAILED, 0)
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

  /** What the last settled batch came to. */
  result(): BatchResult {
    if (Atomics.load(this.ints, FAILED) === 0) return { firstId: this.firstId[0] as number }
    const length = Atomics.load(this.ints, ERROR_BYTES)
    // A copy: TextDecoder does not read shared memory.
    const text = new TextDecoder().decode(this.errorText.slice(0, length))
    let parsed: { message?: string; name?: string; code?: unknown }
    try {
      parsed = JSON.parse(text)
    } catch {
      parsed = { message: text }
    }
    const error = new Error(parsed.message ?? 'the event writer failed')
    if (parsed.name) error.name = parsed.name
    return { error: Object.assign(error, parsed.code === undefined ? {} : { code: parsed.code }) }
  }
}
