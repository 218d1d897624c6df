/** Parses a stored JSON column; a damaged value degrades to the fallback instead of failing the whole read. */
export function parseStoredJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback
  try {
    return JSON.parse(text) as T
  } catch {
    return fallback
  }
}
