/**
 * How the event writer's thread and the checkpointer's thread share the log's checkpoints, in
 * shared memory. The checkpointer blocks on it (no messages, no timers of its own); the writer
 * raises it once its batches have added enough to the log, and the main thread raises it to end
 * the checkpointer. Once the checkpointer has copied the bulk of the log, the writer finishes the
 * checkpoint between two batches: only a checkpoint that leaves nothing behind lets the log start
 * over from its beginning, and under a steady stream of batches the checkpointer's never does.
 */
const REQUESTED = 0
const CLOSING = 1
const ENDED = 2
const COPIED = 3

export class CheckpointSignal {
  private readonly ints: Int32Array

  constructor(readonly buffer = new SharedArrayBuffer(16)) {
    this.ints = new Int32Array(buffer)
  }

  /** The writer's side: a checkpoint is due. */
  request(): void {
    Atomics.store(this.ints, REQUESTED, 1)
    Atomics.notify(this.ints, REQUESTED)
  }

  /**
   * The checkpointer's side: it copied the log as it found it, and waits (`ms` at most: the writer
   * may have nothing to write) until the writer finished the checkpoint, so it does not start the
   * next copy while the writer finishes this one: only one checkpoint runs at a time.
   */
  copied(ms: number): void {
    Atomics.store(this.ints, COPIED, 1)
    Atomics.wait(this.ints, COPIED, 1, ms)
    Atomics.store(this.ints, COPIED, 0)
  }

  /** The writer's side: whether the checkpointer copied the log and waits for the writer to finish. */
  get copiedAndWaiting(): boolean {
    return Atomics.load(this.ints, COPIED) === 1
  }

  /** The writer's side: it finished the checkpoint; the checkpointer may copy again. */
  finished(): void {
    Atomics.store(this.ints, COPIED, 0)
    Atomics.notify(this.ints, COPIED)
  }

  /** The main thread's side: the checkpointer is to close its connection and end. */
  close(): void {
    Atomics.store(this.ints, CLOSING, 1)
    Atomics.store(this.ints, REQUESTED, 1)
    Atomics.notify(this.ints, REQUESTED)
  }

  /** The main thread's side: blocks until the checkpointer closed its connection (true), or for `ms` at most. */
  waitForEnd(ms: number): boolean {
    return Atomics.wait(this.ints, ENDED, 0, ms) !== 'timed-out'
  }

  /** The checkpointer's side, its connection closed: the store's file is no longer its. */
  ended(): void {
    Atomics.store(this.ints, ENDED, 1)
    Atomics.notify(this.ints, ENDED)
  }

  /**
   * The checkpointer's side: blocks until a checkpoint is requested or `ms` passed, and takes the
   * request. False once the checkpointer is to end.
   */
  next(ms: number): boolean {
    Atomics.wait(this.ints, REQUESTED, 0, ms)
    Atomics.store(this.ints, REQUESTED, 0)
    return Atomics.load(this.ints, CLOSING) === 0
  }
}
