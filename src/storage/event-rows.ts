import type { EventInsert } from './events'

const FIELDS = 7

/**
 * A batch as JSON of one flat array of its columns' values, for the event writer's thread: one
 * string costs the event loop less than half of what copying a thousand rows' values would.
 */
export function encodeRows(rows: readonly EventInsert[]): string {
  const values: (string | number | null)[] = new Array(rows.length * FIELDS)
  let at = 0
  for (const row of rows) {
    values[at++] = row.task_id
    values[at++] = row.seq
    values[at++] = row.attempt_id
    values[at++] = row.kind
    values[at++] = row.message
    values[at++] = row.metadata_json
    values[at++] = row.created_at
  }
  return JSON.stringify(values)
}

export function decodeRows(text: string): EventInsert[] {
  const values = JSON.parse(text) as unknown[]
  const rows: EventInsert[] = []
  for (let at = 0; at < values.length; at += FIELDS)
    rows.push({
      task_id: values[at] as string,
      seq: values[at + 1] as number,
      attempt_id: values[at + 2] as string | null,
      kind: values[at + 3] as EventInsert['kind'],
      message: values[at + 4] as string,
      metadata_json: values[at + 5] as string | null,
      created_at: values[at + 6] as string,
    })
  return rows
}
