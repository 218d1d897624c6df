/**
 * git's pkt-line framing (gitprotocol-common): four hex digits giving the length of the line
 * including themselves, then the payload; `0000` is a flush. Read from a stream a client sent,
 * so every length is checked before anything is buffered.
 */

const MAX_PKT = 65520
const encoder = new TextEncoder()

export class PktLineError extends Error {}

/** Reads pkt-lines off the front of a stream and keeps what it read, so the stream can be replayed. */
export class PktLineReader {
  private buffer = new Uint8Array(0)
  private readonly consumed: Uint8Array[] = []
  private done = false

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** The next line's payload, or null at a flush packet. */
  async next(): Promise<Uint8Array | null> {
    const head = await this.take(4)
    const text = new TextDecoder().decode(head)
    if (!/^[0-9a-f]{4}$/.test(text)) throw new PktLineError(`not a pkt-line length: ${JSON.stringify(text)}`)
    const length = Number.parseInt(text, 16)
    if (length === 0) return null
    if (length < 4 || length > MAX_PKT) throw new PktLineError(`pkt-line length ${length} is out of range`)
    return this.take(length - 4)
  }

  /** Everything read so far followed by the rest of the stream, as one stream. */
  replay(): ReadableStream<Uint8Array> {
    const { reader } = this
    // Empty chunks are left out: a pull that enqueues nothing is not called again.
    const prefix = [...this.consumed, this.buffer].filter((chunk) => chunk.length > 0)
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = prefix.shift()
        if (chunk) return controller.enqueue(chunk)
        const { value, done } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    })
  }

  private async take(count: number): Promise<Uint8Array> {
    while (this.buffer.length < count) {
      if (this.done) throw new PktLineError('the request ended inside a pkt-line')
      const { value, done } = await this.reader.read()
      if (done) this.done = true
      else this.buffer = concat(this.buffer, value)
    }
    const taken = this.buffer.slice(0, count)
    this.consumed.push(taken)
    this.buffer = this.buffer.slice(count)
    return taken
  }
}

const concat = (a: Uint8Array, b: Uint8Array) => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/** One pkt-line carrying `payload`. */
export function pktLine(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload
  const head = encoder.encode((body.length + 4).toString(16).padStart(4, '0'))
  return concat(head, body)
}

export const FLUSH = encoder.encode('0000')

/** Concatenates byte arrays. */
export const joinBytes = (parts: Uint8Array[]): Uint8Array => parts.reduce(concat, new Uint8Array(0))
