import '../../src/storage/event-writer-thread'
import { openDatabase } from '../../src/storage/database'
import { insertEventBatch } from '../../src/storage/event-batches'
import { decodeRows, type EncodedRows } from '../../src/storage/event-rows'
import { EventTable } from '../../src/storage/events'
import { TaskTable } from '../../src/storage/tasks'

/**
 * The event writer's real thread, ending on cue: a batch holding ENDS_BEFORE_COMMIT makes it throw
 * before writing anything; one holding EXITS_AFTER_COMMIT makes it commit the batch, then exit
 * before it says so.
 */
export const ENDS_BEFORE_COMMIT = 'the writer thread ends before this batch commits'
export const EXITS_AFTER_COMMIT = 'the writer thread exits once this batch committed'

declare const self: Worker
const real = self.onmessage as (this: Worker, event: MessageEvent) => void
let path = ''

self.onmessage = function (event: MessageEvent) {
  const data = event.data as { path?: string; rows?: EncodedRows }
  if (data.path) path = data.path
  const rows = data.rows ? decodeRows(data.rows) : []
  const holds = (marker: string) => rows.some((row) => row.message === marker)
  if (holds(ENDS_BEFORE_COMMIT)) throw new Error('the test ended the writer thread')
  if (holds(EXITS_AFTER_COMMIT)) {
    const db = openDatabase(path)
    insertEventBatch(db, new EventTable(db), new TaskTable(db), rows)
    db.close()
    process.exit(1)
  }
  real.call(this, event)
}
