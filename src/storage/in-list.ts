import type { Database } from 'bun:sqlite'

/** Values per `IN (…)` list: far below SQLite's limit on bound parameters. */
const CHUNK = 500

/** `values` in chunks of one `IN (…)` list each, with that list's placeholders. */
function inLists(values: readonly string[]): Array<{ values: string[]; placeholders: string }> {
  const lists: Array<{ values: string[]; placeholders: string }> = []
  for (let i = 0; i < values.length; i += CHUNK) {
    const chunk = values.slice(i, i + CHUNK)
    lists.push({ values: chunk, placeholders: chunk.map(() => '?').join(', ') })
  }
  return lists
}

/**
 * The rows of `sql` (a statement with one `IN (…)` list, written where `in` puts it) for all of
 * `values`: one query per chunk of them, rows in each chunk's order.
 */
export function selectIn<Row>(db: Database, values: readonly string[], sql: (list: string) => string): Row[] {
  return inLists(values).flatMap((list) =>
    db.query<Row, string[]>(sql(list.placeholders)).all(...list.values),
  )
}
