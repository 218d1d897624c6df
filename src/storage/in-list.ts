/** Values per `IN (…)` list: far below SQLite's limit on bound parameters. */
const CHUNK = 500

/** `values` in chunks of one `IN (…)` list each, with that list's placeholders. */
export function inLists(values: readonly string[]): Array<{ values: string[]; placeholders: string }> {
  const lists: Array<{ values: string[]; placeholders: string }> = []
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK)
    lists.push({ values: chunk, placeholders: chunk.map(() => '?').join(', ') })
  }
  return lists
}
