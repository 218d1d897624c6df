import type { Database } from 'bun:sqlite'

/** One run waiting for a runner slot (see migrations/007_run_outbox.sql). */
export interface OutboxEntry {
  task_id: string
  /** Which START of the task it is (the machine's `starts`). */
  run: number
  /** A follow-up's reply: the first turn of a run that continues the agent's session. */
  follow_up: string | null
  created_at: string
}

export class OutboxTable {
  constructor(private readonly db: Database) {}

  add(entry: OutboxEntry): void {
    this.db
      .prepare('INSERT OR REPLACE INTO run_outbox (task_id, run, follow_up, created_at) VALUES (?, ?, ?, ?)')
      .run(entry.task_id, entry.run, entry.follow_up, entry.created_at)
  }

  /** The entry of a run not taken yet, or null. */
  peek(taskId: string, run: number): OutboxEntry | null {
    return this.db
      .prepare('SELECT task_id, run, follow_up, created_at FROM run_outbox WHERE task_id = ? AND run = ?')
      .get(taskId, run) as OutboxEntry | null
  }

  /** Removes the entry as its run is claimed (or stopped before it ran); returns it, or null. */
  take(taskId: string, run: number): OutboxEntry | null {
    const entry = this.peek(taskId, run)
    if (entry) this.db.prepare('DELETE FROM run_outbox WHERE task_id = ? AND run = ?').run(taskId, run)
    return entry
  }

  /** Every entry of a task (a run not taken yet), e.g. to drop them when the task is stopped. */
  clearTask(taskId: string): void {
    this.db.prepare('DELETE FROM run_outbox WHERE task_id = ?').run(taskId)
  }

  /** Every run waiting, oldest first: what the queue must hold. */
  list(): OutboxEntry[] {
    return this.db
      .prepare('SELECT task_id, run, follow_up, created_at FROM run_outbox ORDER BY created_at, task_id')
      .all() as OutboxEntry[]
  }
}
