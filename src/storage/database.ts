import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/** Opens the store with the settings every connection needs: WAL, foreign keys, a busy wait. */
export function openDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { create: true, strict: true })
  // First, so that switching to WAL waits for a connection still finishing (a closing writer's
  // checkpoint) instead of failing at once with "database is locked".
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec('PRAGMA journal_mode = WAL')
  // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
  db.exec('PRAGMA synchronous = NORMAL')
  // A burst (or a transaction refused half-way on a full disk) can grow the WAL far past its usual
  // few MiB; without a limit the file keeps that size for good, holding space the database needs.
  db.exec('PRAGMA journal_size_limit = 8388608')
  db.exec('PRAGMA foreign_keys = ON')
  return db
}

/**
 * Copies the write-ahead log into the database as far as it can without a lock a writer needs
 * (PASSIVE); false when another connection's checkpoint was running, so this one did nothing. A
 * failure is reported as `whose` checkpoint's and counts as done: the next one tries again.
 */
export function passiveCheckpoint(db: Database, whose: string): boolean {
  return passiveCheckpointProgress(db, whose) !== null
}

/** How far a checkpoint got: the frames in the log, and how many of them are copied into the database. */
export interface CheckpointProgress {
  frames: number
  copied: number
}

/**
 * `passiveCheckpoint`, saying how far it got, or null when another connection's checkpoint was
 * running. A failure counts as done, with nothing left to copy.
 */
export function passiveCheckpointProgress(db: Database, whose: string): CheckpointProgress | null {
  try {
    const result = db
      .query<{ busy: number; log: number; checkpointed: number }, []>('PRAGMA wal_checkpoint(PASSIVE)')
      .get()
    if (result?.busy !== 0) return null
    // Not in WAL mode both are -1: nothing to copy.
    return { frames: Math.max(0, result.log), copied: Math.max(0, result.checkpointed) }
  } catch (error) {
    console.error(`${whose} checkpoint failed: ${(error as Error).message}`)
    return { frames: 0, copied: 0 }
  }
}
