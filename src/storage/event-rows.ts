import type { EventInsert } from './events'

/**
 * A batch as the event writer's thread receives it. Its text (each row's message, then its
 * metadata JSON) is one UTF-8 buffer, moved to the thread rather than copied; the values rows
 * repeat (task, attempt, kind, time) are sent once each. Encoding a million lines as JSON, then
 * copying that string into the message, took the event loop a quarter of an ingest's time.
 */
export interface EncodedRows {
  text: ArrayBuffer
  /** Per row (NUMBERS_PER_ROW): seq, the message's and the metadata's length in UTF-16 units (-1: no metadata), then indexes into `strings` for task, attempt (-1: none), kind and time. */
  numbers: Float64Array
  strings: string[]
}

export const NUMBERS_PER_ROW = 7

/** What a postMessage of `rows` hands over rather than copies. */
export const transferables = (rows: EncodedRows): ArrayBuffer[] => [
  rows.text,
  rows.numbers.buffer as ArrayBuffer,
]

export function encodeRows(rows: readonly EventInsert[]): EncodedRows {
  const strings: string[] = []
  const indexes = new Map<string, number>()
  const indexOf = (value: string | null): number => {
    if (value === null) return -1
    let index = indexes.get(value)
    if (index === undefined) {
      index = strings.length
      strings.push(value)
      indexes.set(value, index)
    }
    return index
  }
  const numbers = new Float64Array(rows.length * NUMBERS_PER_ROW)
  const texts: string[] = []
  let at = 0
  for (const row of rows) {
    numbers[at++] = row.seq
    numbers[at++] = row.message.length
    numbers[at++] = row.metadata_json === null ? -1 : row.metadata_json.length
    numbers[at++] = indexOf(row.task_id)
    numbers[at++] = indexOf(row.attempt_id)
    numbers[at++] = indexOf(row.kind)
    numbers[at++] = indexOf(row.created_at)
    texts.push(row.message)
    if (row.metadata_json !== null) texts.push(row.metadata_json)
  }
  // A lone surrogate becomes U+FFFD, one UTF-16 unit as well: the lengths still cut the text right.
  const text = new TextEncoder().encode(texts.join('')).buffer as ArrayBuffer
  return { text, numbers, strings }
}

export function decodeRows({ text, numbers, strings }: EncodedRows): EventInsert[] {
  // A byte order mark at the start is text like any other (decoding drops it by default).
  const all = new TextDecoder('utf-8', { ignoreBOM: true }).decode(text)
  const rows: EventInsert[] = []
  let offset = 0
  const cut = (length: number): string => {
    const part = all.slice(offset, offset + length)
    offset += length
    return part
  }
  for (let at = 0; at < numbers.length; at += NUMBERS_PER_ROW) {
    const metadataLength = numbers[at + 2] as number
    const attempt = numbers[at + 4] as number
    rows.push({
      seq: numbers[at] as number,
      message: cut(numbers[at + 1] as number),
      metadata_json: metadataLength < 0 ? null : cut(metadataLength),
      task_id: strings[numbers[at + 3] as number] as string,
      attempt_id: attempt < 0 ? null : (strings[attempt] as string),
      kind: strings[numbers[at + 5] as number] as EventInsert['kind'],
      created_at: strings[numbers[at + 6] as number] as string,
    })
  }
  return rows
}
