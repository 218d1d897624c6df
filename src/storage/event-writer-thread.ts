import type { Database } from 'bun:sqlite'
import { lowerThreadPriority } from '../process/thread-priority'
import { BatchOutcome, BatchRecalled, BatchSkipped } from './batch-outcome'
import { CheckpointSignal } from './checkpoint-signal'
import { openDatabase, passiveCheckpoint } from './database'
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
  /** Where it asks the checkpointer's thread for a checkpoint (see checkpoint-thread.ts). */
  checkpoints: SharedArrayBuffer
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
let checkpoints: CheckpointSignal
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

/** Bytes added to the log since the checkpointer was last asked, as estimated (see ROW_BYTES). */
let sinceRequest = 0
/** Bytes added since this thread last finished a checkpoint: how far the log may be from starting over. */
let sinceFinished = 0
/** About what SQLite's own automatic checkpoint waits for (1,000 pages of 4 KiB). */
const CHECKPOINT_BYTES = 4 * 1024 * 1024
/**
 * The log's growth this thread allows before it finishes a checkpoint without waiting for the
 * checkpointer's copy: batches of long lines can outrun it, and the log must stay bounded.
 */
const LOG_BOUND_BYTES = 3 * CHECKPOINT_BYTES
/**
 * What a row takes besides its text: the task and attempt ids, the kind and time, the record's
 * header and the (task_id, seq) index entry. A burst of one-character lines still counts.
 */
const ROW_BYTES = 160

self.onmessage = ({ data }: MessageEvent<Open | Batch | 'close'>) => {
  if (data === 'close') process.exit(0)
  if ('path' in data) {
    lowerThreadPriority()
    outcome = new BatchOutcome(data.outcome)
    checkpoints = new CheckpointSignal(data.checkpoints)
    db = openDatabase(data.path)
    db.exec('PRAGMA wal_autocheckpoint = 0')
    events = new EventTable(db)
    tasks = new TaskTable(db)
    return
  }
  if (outcome.recalled(data.batch))
    outcome.settle(data.batch, { error: new BatchRecalled('recalled before it was begun') })
  else if (data.epoch <= refusedEpoch)
    outcome.settle(data.batch, { error: new BatchSkipped('an earlier batch was refused') })
  else
    try {
      outcome.settle(data.batch, { firstId: insertEventBatch(db, events, tasks, decodeRows(data.rows)) })
      const added = data.rows.text.byteLength + ROW_BYTES * (data.rows.numbers.length / NUMBERS_PER_ROW)
      sinceRequest += added
      sinceFinished += added
    } catch (error) {
      refusedEpoch = data.epoch
      outcome.settle(data.batch, { error: error as Error })
    }
  self.postMessage(data.batch)
  if (sinceRequest >= CHECKPOINT_BYTES) {
    sinceRequest = 0
    checkpoints.request()
  }
  // What was added since the checkpointer's copy is a batch or two: finished here, quickly, and
  // the log starts over from its beginning with the next batch.
  const copied = checkpoints.copiedAndWaiting
  // Busy (the checkpointer's copy still running), it does nothing: the bound is tried again next batch.
  if ((copied || sinceFinished >= LOG_BOUND_BYTES) && passiveCheckpoint(db, "the event writer's"))
    sinceFinished = 0
  if (copied) checkpoints.finished()
}
