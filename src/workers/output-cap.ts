import type { NewEvent } from '../domain'

export const MiB = 1024 * 1024

const encoder = new TextEncoder()

/**
 * The output one attempt may store, counted in UTF-8 bytes of what the runner's events hold (the
 * message and the metadata). Nothing past the cap is stored: the event that crosses it keeps what
 * fits when it is a plain output line and is left out when it is a structured one (half a JSON
 * value means nothing), and every later one is only counted as dropped.
 */
export class OutputCap {
  stored = 0
  dropped = 0
  private full = false

  constructor(readonly maxBytes: number) {}

  /** What of `event` may be stored (null: nothing), and whether this is the event that reached the cap. */
  admit(event: NewEvent): { event: NewEvent | null; reachedNow: boolean } {
    const messageBytes = Buffer.byteLength(event.message)
    const metadataBytes = event.metadata ? Buffer.byteLength(JSON.stringify(event.metadata)) : 0
    const size = messageBytes + metadataBytes
    if (this.full) {
      this.dropped += size
      return { event: null, reachedNow: false }
    }
    if (this.stored + size <= this.maxBytes) {
      this.stored += size
      return { event, reachedNow: false }
    }
    this.full = true
    const room = this.maxBytes - this.stored - metadataBytes
    if (room <= 0 || !plainLine(event)) {
      this.dropped += size
      return { event: null, reachedNow: true }
    }
    // encodeInto stops before a character that would not fit: the cut never splits one.
    const { read, written } = encoder.encodeInto(event.message, new Uint8Array(room))
    this.stored += written + metadataBytes
    this.dropped += messageBytes - written
    return { event: { ...event, message: event.message.slice(0, read) }, reachedNow: true }
  }
}

function plainLine(event: NewEvent): boolean {
  if (event.kind !== 'stdout' && event.kind !== 'stderr') return false
  return !event.metadata || Object.keys(event.metadata).every((key) => key === 'partial')
}
