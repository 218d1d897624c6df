import { Database } from 'bun:sqlite'

declare const self: Worker

export interface PageReaderOrder {
  dbPath: string
  taskIds: string[]
  /** How often to read, as openRuntime was asked to in the same run: one read each `everyMs`. */
  everyMs: number
  stopFlag: Int32Array
}

const PAGE = 50
const EMBEDDED = 100

/**
 * What B3's client asked openRuntime for, as the SQL that reads it: a page of tasks with their
 * attempts and one task's newest events, at the rate openRuntime answered them, until told to
 * stop. Posts how many it read.
 */
self.onmessage = ({ data }: MessageEvent<PageReaderOrder>) => {
  const db = new Database(data.dbPath, { readonly: true })
  const page = db.query('SELECT * FROM tasks ORDER BY updated_at DESC, id DESC LIMIT ?')
  const attempts = db.query('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt_number')
  const events = db.query('SELECT * FROM events WHERE task_id = ? ORDER BY seq DESC LIMIT ?')
  let reads = 0
  while (Atomics.load(data.stopFlag, 0) === 0) {
    for (const task of page.all(PAGE) as { id: string }[]) attempts.all(task.id)
    events.all(data.taskIds[reads % data.taskIds.length] as string, EMBEDDED)
    reads++
    // Sleeps until the next read is due, or until told to stop.
    Atomics.wait(data.stopFlag, 0, 0, data.everyMs)
  }
  db.close()
  self.postMessage(reads)
}
