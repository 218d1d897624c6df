import { Database } from 'bun:sqlite'
import { existsSync } from 'node:fs'
import { AppError } from '../errors'

// SQLite keeps the queue's recent writes beside it; moved away without them, they would be
// replayed into the new file.
const COMPANIONS = ['', '-wal', '-shm']

const quoted = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`

/**
 * The refusal to start on a queue file that cannot be used, naming it and how to recover. The
 * recovery is true because the queue holds nothing the task database does not: at start-up every
 * task left waiting in `queued` whose job is missing is queued again (src/tasks/recovery.ts), and
 * a run that was in progress is recorded as stopped, as after any restart.
 */
export function queueFileUnusable(queuePath: string, taskDatabase: string, reason: string): AppError {
  const present = COMPANIONS.map((suffix) => queuePath + suffix).filter((path) => existsSync(path))
  const moves = (present.length > 0 ? present : [queuePath])
    .map((path) => `  mv ${quoted(path)} ${quoted(`${path}.corrupt`)}`)
    .join('\n')
  return new AppError(
    'precondition',
    'queue_file_unusable',
    [
      `the run queue ${queuePath} cannot be used: ${reason}.`,
      `It holds only the runs waiting for a slot; tasks, their output and their state are in the task database ${taskDatabase}, which is untouched.`,
      'To recover, move the queue away and start again:',
      moves,
      'A new queue is created, and every task still waiting in queued is queued again from the task database.',
    ].join('\n'),
    { queue: queuePath },
  )
}

/**
 * Refuses a queue file SQLite cannot read before the queue library opens it (it would fail deep
 * inside, or not at all and then lose jobs at run time). A missing file is fine: it is created.
 */
export function assertQueueFileSound(queuePath: string, taskDatabase: string): void {
  if (!existsSync(queuePath)) return
  let problem: string | null
  try {
    const db = new Database(queuePath, { readwrite: true, create: false })
    try {
      const rows = db.query<{ quick_check: string }, []>('PRAGMA quick_check').all()
      const findings = rows.map((row) => row.quick_check)
      problem = findings.length === 1 && findings[0] === 'ok' ? null : findings.slice(0, 3).join('; ')
    } finally {
      db.close()
    }
  } catch (error) {
    problem = (error as Error).message
  }
  if (problem !== null) throw queueFileUnusable(queuePath, taskDatabase, problem)
}
