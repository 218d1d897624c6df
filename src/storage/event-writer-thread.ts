import type { Database } from 'bun:sqlite'
import { BatchOutcome, BatchRecalled, BatchSkipped } from './batch-outcome'
import { openDatabase } from './database'
import { insertEventBatch } from './event-batches'
import { decodeRows, type EncodedRows, NUMBERS_PER_ROW } from './event-rows'
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

/** Bytes written to the log since the last checkpoint, as estimated (see ROW_BYTES). */
let sinceCheckpoint = 0
/** About what SQLite's own automatic checkpoint waits for (1,000 pages of 4 KiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024
/**
 * What a row takes besides its text: the task and attempt ids, the kind and time, the record's
 * header and the (task_id, seq) index entry. A burst of one-character lines still counts.
 */
const ROW_BYTES = 160
/** How often the log is checkpointed anyway, for what the main connection wrote meanwhile. */
const CHECKPOINT_MS = 1000

/**
 * Copies the write-ahead log into the database, as SQLite would after the commit that took the log
 * past its limit, but once the batch was reported: the main thread does not wait for it, and no
 * connection takes the write lock for it (PASSIVE). The main connection leaves checkpoints to this
 * thread (see ThreadedEventWriter), so the event loop never runs one.
 */
function checkpoint(): void {
  sinceCheckpoint = 0
  try {
    db.exec('PRAGMA wal_checkpoint(PASSIVE)')
  } catch (error) {
    console.error(`the event writer's checkpoint failed: ${(error as Error).message}`)
  }
}

self.onmessage = ({ data }: MessageEvent<Open | Batch | 'close'>) => {
  if (data === 'close') process.exit(0)
  if ('path' in data) {
    outcome = new BatchOutcome(data.outcome)
    db = openDatabase(data.path)
    db.exec('PRAGMA wal_autocheckpoint = 0')
    events = new EventTable(db)
    tasks = new TaskTable(db)
    setInterval(checkpoint, CHECKPOINT_MS).unref()
    return
  }
  if (outcome.recalled(data.batch))
    outcome.settle(data.batch, { error: new BatchRecalled('recalled before it was begun') })
  else if (data.epoch <= refusedEpoch)
    outcome.settle(data.batch, { error: new BatchSkipped('an earlier batch was refused') })
  else
    try {
      outcome.settle(data.batch, { firstId: insertEventBatch(db, events, tasks, decodeRows(data.rows)) })
      sinceCheckpoint += data.rows.text.byteLength + ROW_BYTES * (data.rows.numbers.length / NUMBERS_PER_ROW)
    } catch (error) {
      refusedEpoch = data.epoch
      outcome.settle(data.batch, { error: error as Error })
    }
  self.postMessage(data.batch)
  if (sinceCheckpoint >= CHECKPOINT_BYTES) checkpoint()
}
