import { lowerThreadPriority } from '../process/thread-priority'
import { copyInPasses } from './checkpoint-passes'
import { CheckpointSignal } from './checkpoint-signal'
import { openDatabase, passiveCheckpointProgress } from './database'

/**
 * The checkpointer's own thread: on a connection of its own, it copies the write-ahead log into the
 * database (PASSIVE: it takes no lock a writer needs, in passes: see checkpoint-passes.ts) when the
 * event writer's thread asks, and once a second anyway for what the main connection wrote; the
 * writer then finishes the checkpoint (see CheckpointSignal). Copying a few MiB takes tens of
 * milliseconds of disk writes; done on the writer's thread, it held up the batch behind it, and
 * every unit of work waiting for that batch.
 */
declare const self: Worker

interface Open {
  path: string
  signal: SharedArrayBuffer
}

const CHECKPOINT_MS = 1000

self.onmessage = ({ data }: MessageEvent<Open>) => {
  lowerThreadPriority()
  const db = openDatabase(data.path)
  db.exec('PRAGMA wal_autocheckpoint = 0')
  const signal = new CheckpointSignal(data.signal)
  while (signal.next(CHECKPOINT_MS)) {
    // Busy (the writer finishing one past its bound), there is nothing for the writer to finish.
    if (copyInPasses(() => passiveCheckpointProgress(db, "the checkpointer's"))) signal.copied(CHECKPOINT_MS)
  }
  db.close()
  signal.ended()
  process.exit(0)
}
