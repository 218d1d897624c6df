import type { ControlCommand } from '../domain'
import { parseSse } from '../events/sse-parse'
import type { ControlPlane } from './control-plane'

const RECONNECT_MS = 250
/** The control plane sends a keepalive every 5 s: this long without a byte, the connection is dead. */
const SILENCE_MS = 15_000

/** Calls `alive` on each chunk that passes. */
const tapped = (body: ReadableStream<Uint8Array>, alive: () => void) =>
  body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        alive()
        controller.enqueue(chunk)
      },
    }),
  )

/**
 * Listens on the control plane's command stream (GET /runner/v1/control), reconnecting whenever
 * it ends, and hands each command to `apply`, one at a time; a command is acknowledged after it
 * was applied. A command the stream repeats (after a reconnect, before its acknowledgement
 * arrived) is applied only once: the ids applied are remembered.
 */
export class ControlStream {
  private readonly abort = new AbortController()
  private readonly applied = new Set<number>()
  private readonly loop: Promise<void>

  constructor(
    private readonly control: ControlPlane,
    private readonly apply: (command: ControlCommand) => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {
    this.loop = this.listen()
  }

  /**
   * A connection that brings nothing for SILENCE_MS (not even the keepalive) is ended and made
   * again: one a network partition cut sees no reset and would otherwise wait forever, deaf to
   * every command sent meanwhile.
   */
  private async listen(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const connection = new AbortController()
      const end = () => connection.abort()
      this.abort.signal.addEventListener('abort', end, { once: true })
      let silence = setTimeout(end, SILENCE_MS)
      const alive = () => {
        clearTimeout(silence)
        silence = setTimeout(end, SILENCE_MS)
      }
      try {
        const response = await this.control.stream('/runner/v1/control', connection.signal)
        alive()
        if (response.ok && response.body)
          for await (const message of parseSse(tapped(response.body, alive)))
            await this.handle(JSON.parse(message.data) as ControlCommand)
      } catch (error) {
        if (!this.abort.signal.aborted && (error as Error).name !== 'AbortError') this.onError(error as Error)
      } finally {
        clearTimeout(silence)
        this.abort.signal.removeEventListener('abort', end)
        connection.abort()
      }
      if (!this.abort.signal.aborted) await Bun.sleep(RECONNECT_MS)
    }
  }

  private async handle(command: ControlCommand): Promise<void> {
    if (!this.applied.has(command.id)) {
      await this.apply(command)
      this.applied.add(command.id)
    }
    await this.control.call('POST', `/runner/v1/control/${command.id}/ack`)
  }

  async close(): Promise<void> {
    this.abort.abort()
    await this.loop
  }
}
