import type { Database } from 'bun:sqlite'
import { BatchOutcome, BatchSkipped } from './batch-outcome'
import { openDatabase } from './database'
import { insertEventBatch } from './event-batches'
import { decodeRows, type EncodedRows } from './event-rows'
import { EventTable } from './events'
import { TaskTable } from './tasks'

/**
 * The event writer's own thread: its own connection to the store, on which it writes each batch
 * the main thread sends, in their order, one transaction each, and says how it went (see BatchOutcome).
 */
declare const self: Worker

interface Open {
  path: string
  outcome: SharedArrayBuffer
}
interface Batch {
  batch: number
  /** Bumped by the main thread each time it has taken a refusal (see `refusedEpoch`). */
  epoch: number
  rows: EncodedRows
}

let db: Database
let events: EventTable
let tasks: TaskTable
let outcome: BatchOutcome
/**
 * The epoch of the last batch refused. Batches of that epoch after it were sent before the main
 * thread knew of the refusal: they are skipped, so nothing is written past rows that are not.
 */
let refusedEpoch = -1

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
  if (data.epoch <= refusedEpoch)
    outcome.settle(data.batch, { error: new BatchSkipped('an earlier batch was refused') })
  else
    try {
      outcome.settle(data.batch, { firstId: insertEventBatch(db, events, tasks, decodeRows(data.rows)) })
    } catch (error) {
      refusedEpoch = data.epoch
      outcome.settle(data.batch, { error: error as Error })
    }
  self.postMessage(data.batch)
}
