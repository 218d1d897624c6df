import type { ControlCommand } from '../domain'
import type { ControlPlane } from './control-plane'

const RECONNECT_MS = 250

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

  private async listen(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const response = await this.control.stream('/runner/v1/control', this.abort.signal)
        if (response.ok && response.body) await this.read(response.body)
      } catch (error) {
        if (!this.abort.signal.aborted && (error as Error).name !== 'AbortError') this.onError(error as Error)
      }
      if (!this.abort.signal.aborted) await Bun.sleep(RECONNECT_MS)
    }
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    const reader = body.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffer += decoder.decode(chunk.value, { stream: true })
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('')
        if (data !== '') await this.handle(JSON.parse(data) as ControlCommand)
      }
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
