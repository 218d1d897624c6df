/**
 * Reading untyped JSON from the CLIs. Their formats change between releases (keys are added,
 * reordered or nested differently), so every read is by key and every value is checked.
 */

export type Json = Record<string, unknown>

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export function parseJsonObject(line: string): Json | null {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{')) return null
  try {
    const value: unknown = JSON.parse(trimmed)
    return isObject(value) ? value : null
  } catch {
    return null
  }
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

export const num = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : 0

export const obj = (value: unknown): Json => (isObject(value) ? value : {})

export const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : [])

/** Keeps events bounded: a tool may print megabytes, the timeline needs the gist. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}… [${text.length - max} more characters]`
}

export const firstLine = (text: string): string => text.split('\n', 1)[0] ?? ''
