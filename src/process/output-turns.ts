/**
 * The event loop's time for handling output, shared by every run of this server. A pipe that
 * always has data ready resolves every read at once, so readers that just went on would hold the
 * loop (and every request waiting on it) for as long as output keeps coming: with eight runs at
 * full speed, each taking a 64 KiB slice (some ten thousand short lines) in turn, `/health` waited
 * 50 ms. Readers handle output in small pieces and ask `pause()` before each: within one turn of
 * the loop they share one budget, and once it is spent they wait for the next turn, after the
 * loop has served whatever else is ready (requests, timers, the event log's batches). Who goes
 * first rotates from turn to turn, so no reader starves the others.
 */
export class OutputTurns {
  private turnStarted = Number.NEGATIVE_INFINITY
  private waiting: Array<() => void> = []
  private scheduled = false

  constructor(private readonly budgetMs: number) {}

  /** Null while the turn has budget left; else a promise that resolves in a later turn. */
  pause(): Promise<void> | null {
    if (!this.scheduled && performance.now() - this.turnStarted < this.budgetMs) return null
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      if (this.scheduled) return
      this.scheduled = true
      setImmediate(() => this.turn())
    })
  }

  private turn(): void {
    this.scheduled = false
    this.turnStarted = performance.now()
    const resumed = this.waiting
    this.waiting = []
    // Rotated: the reader that went first last time goes last, the others move up.
    if (resumed.length > 1) resumed.push(resumed.shift() as () => void)
    for (const resume of resumed) resume()
  }
}

/** Two milliseconds of output handling per turn: a request waits about that long behind it. */
export const outputTurns = new OutputTurns(2)
