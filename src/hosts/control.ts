import type { ControlCommand, ControlType, JsonObject } from '../domain'
import { conflict, notFound } from '../errors'
import { SSE_HEADERS } from '../events/live-stream'
import type { Store } from '../storage/store'

const encoder = new TextEncoder()
const KEEPALIVE_MS = 5000

const frame = (command: ControlCommand) =>
  `id: ${command.id}\nevent: command\ndata: ${JSON.stringify(command)}\n\n`

type Listener = { send: (command: ControlCommand) => void; close: () => void }

/**
 * Commands for runner hosts (stop, reply, approval) about their attempts. Each is stored before it
 * is sent; a host's stream sends every command it has not acknowledged (on each connection: only
 * an acknowledgement says a command was applied, so Last-Event-ID does not hide an unacknowledged
 * one), then new ones as they are made. An acknowledged command is never sent again.
 */
export class ControlChannel {
  private readonly listeners = new Map<string, Set<Listener>>()

  constructor(private readonly store: Store) {}

  send(hostId: string, attemptId: string, type: ControlType, payload: JsonObject): ControlCommand {
    const command = this.store.runnerHosts.addCommand(
      hostId,
      attemptId,
      type,
      payload,
      new Date().toISOString(),
    )
    for (const listener of this.listeners.get(hostId) ?? []) listener.send(command)
    return command
  }

  ack(hostId: string, id: number): { id: number; acked: true } {
    const result = this.store.runnerHosts.ackCommand(hostId, id, new Date().toISOString())
    if (result === 'unknown') throw notFound('command', String(id))
    return { id, acked: true }
  }

  pending(hostId: string): ControlCommand[] {
    return this.store.runnerHosts.pendingCommands(hostId)
  }

  /** Ends every stream of the host (revoked: it hears nothing more). */
  disconnect(hostId: string): void {
    for (const listener of [...(this.listeners.get(hostId) ?? [])]) listener.close()
  }

  /** Ends every stream (the server shuts down). */
  disconnectAll(): void {
    for (const hostId of [...this.listeners.keys()]) this.disconnect(hostId)
  }

  /** The host's command stream as server-sent events (the SSE id is the command's id). */
  stream(hostId: string, signal?: AbortSignal): Response {
    if (signal?.aborted) throw conflict('stream_closed', 'the request was aborted')
    let listener: Listener | null = null
    let keepalive: ReturnType<typeof setInterval> | null = null
    const stop = () => {
      if (keepalive) clearInterval(keepalive)
      if (listener) this.listeners.get(hostId)?.delete(listener)
      listener = null
    }
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const sent = new Set<number>()
        const send = (command: ControlCommand) => {
          if (sent.has(command.id)) return
          sent.add(command.id)
          controller.enqueue(encoder.encode(frame(command)))
        }
        listener = {
          send,
          close: () => {
            stop()
            try {
              controller.close()
            } catch {
              // Already cancelled by the host.
            }
          },
        }
        // Listening first, then the backlog: a command made in between is sent once (by id).
        const set = this.listeners.get(hostId) ?? new Set()
        set.add(listener)
        this.listeners.set(hostId, set)
        controller.enqueue(encoder.encode(': ready\n\n'))
        for (const command of this.pending(hostId)) send(command)
        keepalive = setInterval(() => controller.enqueue(encoder.encode(': keepalive\n\n')), KEEPALIVE_MS)
        signal?.addEventListener('abort', () => listener?.close(), { once: true })
      },
      cancel: stop,
    })
    return new Response(body, { headers: SSE_HEADERS })
  }
}
