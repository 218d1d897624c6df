import type { Database } from 'bun:sqlite'
import type { EventInsert, EventTable } from './events'
import type { TaskTable } from './tasks'

/** What writing a batch of events came to: the first row's id (the others follow it), or the refusal. */
export type BatchResult = { firstId: number } | { error: Error }

/**
 * Writes batches of buffered events, one transaction each, in the order they were given, up to
 * `depth` of them at a time. `write` may finish later (`done` is then called from the event loop,
 * in that order); `wait` blocks until every batch in progress has called `done`, so a caller that
 * needs the table as it stands can have it.
 */
export interface EventWriter {
  readonly depth: number
  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void
  wait(): void
  /**
   * Asks that the batches queued behind the oldest one out are not written unless begun already:
   * they are handed back with BatchRecalled (their rows the caller's again) instead of making a
   * `wait` wait for them too.
   */
  recallQueued(): void
  close(): void
}

/**
 * One batch in one transaction: the rows in their order, and each task they belong to marked as
 * changed at its last row's time. Caller owns the connection, and nothing else writes within it.
 */
export function insertEventBatch(
  db: Database,
  events: EventTable,
  tasks: TaskTable,
  rows: readonly EventInsert[],
): number {
  return db.transaction(() => {
    const firstId = events.insertMany(rows)
    const touched = new Map<string, string>()
    for (const row of rows) touched.set(row.task_id, row.created_at)
    for (const [taskId, at] of touched) tasks.touch(taskId, at)
    return firstId
  })()
}

/** Writes on the caller's own connection, before `write` returns. */
export class InlineEventWriter implements EventWriter {
  readonly depth = 1
  constructor(
    private readonly db: Database,
    private readonly events: EventTable,
    private readonly tasks: TaskTable,
  ) {}

  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void {
    let result: BatchResult
    try {
      result = { firstId: insertEventBatch(this.db, this.events, this.tasks, rows) }
    } catch (error) {
      result = { error: error as Error }
    }
    done(result)
  }

  wait(): void {}

  /** Nothing waits to be begun: each batch is written within `write`. */
  recallQueued(): void {}

  close(): void {}
}
