/** One server-sent event as read: its id, event name and data (the data lines joined). */
export interface SseMessage {
  id?: string
  event: string
  data: string
}

/**
 * Reads server-sent events from a byte stream: frames end at a blank line, comments (keepalives)
 * are skipped, and so is a frame without data. Leaving the loop early cancels the stream.
 */
export async function* parseSse(stream: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = stream.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffer += decoder.decode(chunk.value, { stream: true })
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const message = parseFrame(buffer.slice(0, end))
        buffer = buffer.slice(end + 2)
        if (message.data !== '') yield message
      }
    }
  } finally {
    await reader.cancel()
  }
}

function parseFrame(block: string): SseMessage {
  const message: SseMessage = { event: 'message', data: '' }
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'id') message.id = value
    else if (field === 'event') message.event = value
    else if (field === 'data') message.data += value
  }
  return message
}
