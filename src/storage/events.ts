import type { Database, Statement } from 'bun:sqlite'
import type { EventKind, JsonObject, TaskEvent } from '../domain'
import { parseStoredJson } from './json'

interface EventRow {
  id: number
  task_id: string
  seq: number
  attempt_id: string | null
  kind: string
  message: string
  metadata_json: string | null
  created_at: string
}

/** An event with its seq assigned, ready to insert. */
export interface EventInsert {
  task_id: string
  seq: number
  attempt_id: string | null
  kind: EventKind
  message: string
  metadata_json: string | null
  created_at: string
}

const toEvent = (row: EventRow): TaskEvent => ({
  id: String(row.id),
  task_id: row.task_id,
  seq: row.seq,
  attempt_id: row.attempt_id,
  kind: row.kind as EventKind,
  message: row.message,
  metadata: parseStoredJson<JsonObject | null>(row.metadata_json, null),
  created_at: row.created_at,
})

const COLUMNS = 'id, task_id, seq, attempt_id, kind, message, metadata_json, created_at'

export class EventTable {
  private readonly insertRow: Statement
  private readonly maxSeqRow: Statement<{ seq: number | null }, [string]>
  private readonly afterRows: Statement<EventRow, [string, number, number]>
  private readonly latestRows: Statement<EventRow, [string, number]>
  private readonly beforeRows: Statement<EventRow, [string, number, number]>
  private readonly countRow: Statement<{ n: number }, [string]>

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(
      'INSERT INTO events (task_id, seq, attempt_id, kind, message, metadata_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    )
    this.maxSeqRow = db.query('SELECT MAX(seq) AS seq FROM events WHERE task_id = ?')
    this.afterRows = db.query(
      `SELECT ${COLUMNS} FROM events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
    this.latestRows = db.query(`SELECT ${COLUMNS} FROM events WHERE task_id = ? ORDER BY seq DESC LIMIT ?`)
    this.beforeRows = db.query(
      `SELECT ${COLUMNS} FROM events WHERE task_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    )
    this.countRow = db.query('SELECT COUNT(*) AS n FROM events WHERE task_id = ?')
  }

  /** Caller owns the transaction: the event log writes a whole batch in one. */
  insert(event: EventInsert): number {
    return Number(
      this.insertRow.run(
        event.task_id,
        event.seq,
        event.attempt_id,
        event.kind,
        event.message,
        event.metadata_json,
        event.created_at,
      ).lastInsertRowid,
    )
  }

  maxSeq(taskId: string): number {
    return this.maxSeqRow.get(taskId)?.seq ?? 0
  }

  after(taskId: string, seq: number, limit: number): TaskEvent[] {
    return this.afterRows.all(taskId, seq, limit).map(toEvent)
  }

  /** The newest `limit` events, oldest first. */
  latest(taskId: string, limit: number): TaskEvent[] {
    return this.latestRows.all(taskId, limit).map(toEvent).reverse()
  }

  /** The `limit` events just before `seq`, oldest first (for loading older history on demand). */
  before(taskId: string, seq: number, limit: number): TaskEvent[] {
    return this.beforeRows.all(taskId, seq, limit).map(toEvent).reverse()
  }

  /** The newest `limit` events that satisfy a fixed SQL condition (owned by the caller's module), oldest first. */
  latestMatching(taskId: string, limit: number, condition: string): TaskEvent[] {
    return this.db
      .query<EventRow, [string, number]>(
        `SELECT ${COLUMNS} FROM events WHERE task_id = ? AND ${condition} ORDER BY seq DESC LIMIT ?`,
      )
      .all(taskId, limit)
      .map(toEvent)
      .reverse()
  }

  count(taskId: string): number {
    return this.countRow.get(taskId)?.n ?? 0
  }
}
