export interface SseFrame {
  id?: string
  event: string
  data: any
}

/** Reads server-sent event frames from a streaming fetch response. */
export async function* readSse(response: Response): AsyncGenerator<SseFrame> {
  if (!response.body) throw new Error('no body')
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  while (true) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
      const frame: SseFrame = { event: 'message', data: null }
      let data = ''
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = line.slice(0, colon)
        const value = line.slice(colon + 1).replace(/^ /, '')
        if (field === 'id') frame.id = value
        else if (field === 'event') frame.event = value
        else if (field === 'data') data += value
      }
      if (data === '') continue
      frame.data = JSON.parse(data)
      yield frame
    }
  }
}
