import type { Database } from 'bun:sqlite'
import { BatchOutcome } from './batch-outcome'
import { openDatabase } from './database'
import { insertEventBatch } from './event-batches'
import { decodeRows, type EncodedRows } from './event-rows'
import { EventTable } from './events'
import { TaskTable } from './tasks'

/**
 * The event writer's own thread: its own connection to the store, on which it writes each batch
 * the main thread sends, one transaction each, and says how it went (see BatchOutcome).
 */
declare const self: Worker

interface Open {
  path: string
  outcome: SharedArrayBuffer
}
interface Batch {
  batch: number
  rows: EncodedRows
}

let db: Database
let events: EventTable
let tasks: TaskTable
let outcome: BatchOutcome

// However the thread ends (an uncaught error, process.exit, asked to close), its connection closes first, so no
// transaction of its stays open holding the write lock, and only then is the main thread told.
// (Neither is there yet if it ends while opening the store.)
process.on('exit', () => {
  db?.close()
  outcome?.end()
})

self.onmessage = ({ data }: MessageEvent<Open | Batch | 'close'>) => {
  if (data === 'close') process.exit(0)
  if ('path' in data) {
    outcome = new BatchOutcome(data.outcome)
    db = openDatabase(data.path)
    events = new EventTable(db)
    tasks = new TaskTable(db)
    return
  }
  try {
    outcome.settle(data.batch, { firstId: insertEventBatch(db, events, tasks, decodeRows(data.rows)) })
  } catch (error) {
    outcome.settle(data.batch, { error: error as Error })
  }
  self.postMessage(data.batch)
}
