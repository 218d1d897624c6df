import { type ControlPlane, Unreachable } from './control-plane'
import type { AttemptSpool } from './spool'

/** The protocol's cap on a batch's events. */
const BATCH = 5000
/** The JSON of a batch's events, in bytes: its body stays under the API's 2 MiB limit. */
const BATCH_BYTES = 1536 * 1024
/** Retries while the control plane is unreachable; events appended are sent at once otherwise. */
const EVERY_MS = 100

/**
 * Delivers every spooled attempt to the control plane, in order: its events in batches from the
 * oldest unacknowledged, then, once all of them are acknowledged, its outcome. While the control
 * plane is unreachable everything stays spooled and is tried again; nothing is lost or reordered.
 * An append starts a send on the next turn of the event loop (not at the next tick of a timer):
 * what a burst appended meanwhile, or while a batch is in flight, goes in the next batch.
 */
export class SpoolSender {
  private readonly spools = new Map<string, AttemptSpool>()
  private readonly delivered = new Map<string, () => void>()
  private readonly timer: ReturnType<typeof setInterval>
  private sending = false
  /** An append came while a send was under way: send again when it ends. */
  private again = false
  private scheduled = false

  constructor(
    private readonly control: ControlPlane,
    private readonly onError: (error: Error) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), EVERY_MS)
  }

  add(spool: AttemptSpool): void {
    this.spools.set(spool.attemptId, spool)
    spool.onAppend = () => this.soon()
    this.soon()
  }

  private soon(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.flush()
    })
  }

  /** The attempts with something still to deliver (their outcome, at least). */
  pending(): string[] {
    return [...this.spools.keys()]
  }

  /** Resolves once the attempt's outcome is acknowledged (and its spool removed). */
  whenDelivered(attemptId: string): Promise<void> {
    if (!this.spools.has(attemptId)) return Promise.resolve()
    return new Promise((resolve) => this.delivered.set(attemptId, resolve))
  }

  async flush(): Promise<void> {
    if (this.sending) {
      this.again = true
      return
    }
    this.sending = true
    this.again = false
    try {
      for (const spool of [...this.spools.values()]) await this.send(spool)
    } catch (error) {
      // Nothing is sent again before the timer's next try: a control plane that is down is not hammered.
      this.again = false
      if (!(error instanceof Unreachable)) this.onError(error as Error)
    } finally {
      this.sending = false
      if (this.again) this.soon()
    }
  }

  private async send(spool: AttemptSpool): Promise<void> {
    const base = `/runner/v1/attempts/${spool.attemptId}`
    for (
      let batch = spool.unacknowledged(BATCH, BATCH_BYTES);
      batch;
      batch = spool.unacknowledged(BATCH, BATCH_BYTES)
    ) {
      const answer = await this.control.call<{
        acked?: number
        error?: { code: string; details?: { expected?: number; acked?: number } }
      }>('POST', `${base}/events`, batch)
      if (answer.status === 200 && typeof answer.body.acked === 'number') {
        spool.acknowledge(answer.body.acked)
        continue
      }
      const expected = answer.body.error?.details?.expected
      // Only what it acknowledged was cut off here: a gap means it lost stored events.
      if (answer.status === 409 && typeof expected === 'number')
        throw new Error(
          `attempt ${spool.attemptId}: the control plane expects seq ${expected}, sent ${batch.from}`,
        )
      if (answer.status === 409 || answer.status === 404) {
        // The attempt ended there (its host was lost, it was revoked): nothing more is taken.
        spool.acknowledge(batch.from + batch.events.length - 1)
        continue
      }
      throw new Error(
        `attempt ${spool.attemptId}: events refused with ${answer.status} ${JSON.stringify(answer.body)}`,
      )
    }
    const outcome = spool.outcome()
    if (outcome === null) return
    const answer = await this.control.call('POST', `${base}/outcome`, outcome)
    if (answer.status !== 200 && answer.status !== 409 && answer.status !== 404)
      throw new Error(
        `attempt ${spool.attemptId}: outcome refused with ${answer.status} ${JSON.stringify(answer.body)}`,
      )
    spool.remove()
    this.spools.delete(spool.attemptId)
    this.delivered.get(spool.attemptId)?.()
    this.delivered.delete(spool.attemptId)
  }

  close(): void {
    clearInterval(this.timer)
  }
}
