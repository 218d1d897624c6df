import { parseSse, type SseMessage } from '../../src/events/sse-parse'

export type SseTextFrame = SseMessage

export interface SseFrame {
  id?: string
  event: string
  data: any
}

/** Reads server-sent event frames (comments skipped) with their data as text; leaving early cancels the stream. */
export const readSseText = parseSse

/** Reads the JSON frames of a streaming fetch response. */
export async function* readSse(response: Response): AsyncGenerator<SseFrame> {
  if (!response.body) throw new Error('no body')
  for await (const frame of readSseText(response.body)) yield { ...frame, data: JSON.parse(frame.data) }
}
