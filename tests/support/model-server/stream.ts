/** Server-sent events written one by one, with a way to hold the stream open until the client leaves. */
export interface SseWriter {
  send(event: string | null, data: unknown): void
  comment(text: string): void
  /** Resolves after `ms`, or early when the client disconnects; calls `tick` every `everyMs`. */
  hold(ms: number, everyMs: number, tick: () => void): Promise<void>
  readonly closed: boolean
}

export function sseResponse(signal: AbortSignal, write: (sse: SseWriter) => Promise<void>): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false
      const close = () => {
        closed = true
      }
      signal.addEventListener('abort', close)
      const push = (text: string) => {
        if (closed) return
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          closed = true
        }
      }
      const writer: SseWriter = {
        send: (event, data) => push(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`),
        comment: (text) => push(`: ${text}\n\n`),
        hold: async (ms, everyMs, tick) => {
          const until = Date.now() + ms
          while (!closed && Date.now() < until) {
            await Bun.sleep(Math.min(everyMs, until - Date.now()))
            if (!closed) tick()
          }
        },
        get closed() {
          return closed
        },
      }
      await write(writer)
      signal.removeEventListener('abort', close)
      if (!closed) controller.close()
    },
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
}
