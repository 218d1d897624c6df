export interface SseTextFrame {
  id?: string
  event: string
  data: string
}

export interface SseFrame {
  id?: string
  event: string
  data: any
}

/** Reads server-sent event frames (comments skipped) with their data as text; leaving early cancels the stream. */
export async function* readSseText(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseTextFrame> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    while (true) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end = buffer.indexOf('\n\n')
      while (end !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        end = buffer.indexOf('\n\n')
        const frame: SseTextFrame = { event: 'message', data: '' }
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue
          const colon = line.indexOf(':')
          const field = line.slice(0, colon)
          const value = line.slice(colon + 1).replace(/^ /, '')
          if (field === 'id') frame.id = value
          else if (field === 'event') frame.event = value
          else if (field === 'data') frame.data += value
        }
        if (frame.data !== '') yield frame
      }
    }
  } finally {
    await reader.cancel()
  }
}

/** Reads the JSON frames of a streaming fetch response. */
export async function* readSse(response: Response): AsyncGenerator<SseFrame> {
  if (!response.body) throw new Error('no body')
  for await (const frame of readSseText(response.body)) yield { ...frame, data: JSON.parse(frame.data) }
}
