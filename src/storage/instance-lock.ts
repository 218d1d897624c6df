import { Database } from 'bun:sqlite'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { AppError } from '../errors'

/**
 * Makes sure one server owns a data directory. The lock is an exclusive SQLite lock held for the
 * life of the process: the OS releases it when the process dies, even by SIGKILL, so a crash never
 * leaves a stale lock behind (unlike a pid file).
 */
export class InstanceLock {
  private constructor(private readonly db: Database) {}

  static acquire(lockPath: string): InstanceLock {
    mkdirSync(dirname(lockPath), { recursive: true })
    const db = new Database(lockPath, { create: true })
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE')
      db.exec('PRAGMA busy_timeout = 0')
      db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER)')
      db.exec('BEGIN EXCLUSIVE')
    } catch {
      db.close()
      let owner = 'another process'
      try {
        owner = `process ${readFileSync(`${lockPath}.pid`, 'utf8').trim()}`
      } catch {
        // The pid note is only for the message.
      }
      throw new AppError(
        'unavailable',
        'data_dir_in_use',
        `another openRuntime server (${owner}) is already using this data directory (${lockPath}); stop it first, or set OPENRUNTIME_DB to use another database`,
      )
    }
    writeFileSync(`${lockPath}.pid`, String(process.pid))
    return new InstanceLock(db)
  }

  release(): void {
    try {
      this.db.exec('ROLLBACK')
    } catch {
      // Nothing to roll back.
    }
    this.db.close()
  }
}
