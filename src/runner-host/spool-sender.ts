import { RUNNER_EVENTS_BODY_BYTES, type RunnerItem } from '../domain'
import { type ControlPlane, Unreachable } from './control-plane'
import type { AttemptSpool } from './spool'

/** The protocol's cap on a batch's events. */
const BATCH = 5000
/**
 * The JSON of a batch's events, in bytes, when it holds several: a batch is one request and one
 * commit there, and stays under the API's 2 MiB. An event larger than this travels alone.
 */
const BATCH_BYTES = 1536 * 1024
/** The largest event the events route can take alone (its batch's own fields take the rest). */
const MAX_ITEM_BYTES = RUNNER_EVENTS_BODY_BYTES - 1024
/** Retries while the control plane is unreachable; events appended are sent at once otherwise. */
const EVERY_MS = 100

interface EventsAnswer {
  acked?: number
  error?: { code: string; message?: string; details?: { expected?: number; acked?: number } }
}

/**
 * A refusal no retry changes: the batch itself is wrong. Not a lost or revoked token (401, 403:
 * the host is told so elsewhere), nor a timeout or rate limit (408, 429).
 */
const refusedForGood = (status: number) =>
  status >= 400 && status < 500 && ![401, 403, 404, 408, 409, 429].includes(status)

const isStandIn = (item: RunnerItem) => 'kind' in item && item.metadata?.category === 'event-refused'

/** What is sent in place of an item the control plane will never take: why, on the task's timeline. */
function standIn(item: RunnerItem, bytes: number, why: string): RunnerItem & { message: string } {
  const what = 'signal' in item ? `a ${item.signal.type} signal` : `a ${item.kind} event`
  return {
    kind: 'error',
    message: `The runner host could not deliver ${what} of ${bytes} bytes (${why}); it is not stored`,
    metadata: { category: 'event-refused', bytes, why },
    ...(item.at ? { at: item.at } : {}),
  }
}

/**
 * Delivers every spooled attempt to the control plane, in order: its events in batches from the
 * oldest unacknowledged, then, once all of them are acknowledged, its outcome. While the control
 * plane is unreachable everything stays spooled and is tried again; nothing is lost or reordered.
 * An append starts a send on the next turn of the event loop (not at the next tick of a timer):
 * what a burst appended meanwhile, or while a batch is in flight, goes in the next batch.
 * An event the control plane refuses for good (it cannot take it, however often it is sent) is
 * replaced by a note of the refusal, so the attempt's later events and outcome still arrive.
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
    // After a refused batch its events go one at a time: the one refused is found and replaced.
    let max = BATCH
    for (
      let batch = spool.unacknowledged(max, BATCH_BYTES);
      batch;
      batch = spool.unacknowledged(max, BATCH_BYTES)
    ) {
      const [first] = batch.events
      const alone = batch.events.length === 1 && first !== undefined
      const bytes = alone ? Buffer.byteLength(JSON.stringify(first)) : 0
      if (alone && bytes > MAX_ITEM_BYTES) {
        this.replace(
          spool,
          batch.from,
          standIn(first, bytes, `more than the ${RUNNER_EVENTS_BODY_BYTES} bytes the control plane takes`),
        )
        continue
      }
      const answer = await this.control.call<EventsAnswer>('POST', `${base}/events`, batch)
      if (answer.status === 200 && typeof answer.body.acked === 'number') {
        spool.acknowledge(answer.body.acked)
        max = BATCH
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
      // Refused even as a note of a refusal: what is wrong is not the event; it is tried again later.
      if (refusedForGood(answer.status) && !(alone && isStandIn(first))) {
        if (alone)
          this.replace(
            spool,
            batch.from,
            standIn(
              first,
              bytes,
              `the control plane refused it with ${answer.status}: ${answer.body.error?.message ?? answer.body.error?.code}`,
            ),
          )
        max = 1
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

  /** The note goes in the refused item's place, and into the host's log. */
  private replace(spool: AttemptSpool, seq: number, note: RunnerItem & { message: string }): void {
    spool.replaceOldest(note)
    this.onError(new Error(`attempt ${spool.attemptId}: runner seq ${seq}: ${note.message}`))
  }

  close(): void {
    clearInterval(this.timer)
  }
}
