import { invalid } from '../errors'

export interface TaskCursor {
  updated_at: string
  id: string
}

export const encodeCursor = (cursor: TaskCursor): string =>
  Buffer.from(JSON.stringify([cursor.updated_at, cursor.id])).toString('base64url')

export function decodeCursor(text: string): TaskCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { updated_at: value[0], id: value[1] }
    }
  } catch {
    // Reported below.
  }
  throw invalid('cursor is not one this server handed out')
}

export function parseEventsEmbed(value: string | undefined): 'none' | 'all' | number {
  if (value === undefined) return 100
  if (value === 'none' || value === 'all') return value
  return Number(value)
}
