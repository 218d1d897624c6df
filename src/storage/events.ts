import type { Database, Statement } from 'bun:sqlite'
import type { TaskEvent } from '../domain'
import { Columns, json, number, type Row, rowId, text } from './columns'
import { selectIn } from './in-list'

/** How each field of an event is stored in `events` (what reads map rows with). */
export const EVENT_COLUMNS = new Columns<TaskEvent>({
  id: rowId(),
  task_id: text(),
  seq: number(),
  attempt_id: text(),
  kind: text(),
  message: text(),
  metadata: json(),
  created_at: text(),
})

/**
 * An event with its seq assigned, ready to insert. The event log serialises the metadata itself
 * (it counts its size), so the insert takes it as stored.
 */
export type EventInsert = Omit<TaskEvent, 'id' | 'metadata'> & { metadata_json: string | null }

/**
 * A task's newest events as a JSON array (oldest first) in UTF-8, how many it holds and the newest
 * one's seq.
 */
export interface EventsJson {
  json: Uint8Array<ArrayBuffer>
  count: number
  lastSeq: number | null
}

/** What the statement behind `latestJson` reads: whether any of the events is doubted too (see `jsonDoubt`). */
type EventsJsonRow = EventsJson & { doubted: number | null }

const toEvent = (row: Row): TaskEvent => EVENT_COLUMNS.toRecord(row)
const UTF8 = new TextEncoder()
const COLUMNS = EVENT_COLUMNS.select

/** Rows per INSERT statement when writing a batch: binding one statement per row costs more than the row. */
const ROWS_PER_INSERT = 32
const INSERT_COLUMNS = 7

export class EventTable {
  /** Multi-row inserts, by how many rows they take (ROWS_PER_INSERT, and the remainders once met). */
  private readonly insertRows = new Map<number, Statement>()
  private readonly insertValues: (string | number | null)[] = []
  private readonly maxSeqRow: Statement<{ seq: number | null }, [string]>
  private readonly afterRows: Statement<Row, [string, number, number]>
  private readonly latestRows: Statement<Row, [string, number]>
  private readonly latestJsonRow: Statement<EventsJsonRow, [string, number]>
  private readonly jsonAfterRow: Statement<EventsJsonRow, [string, number]>
  private readonly beforeRows: Statement<Row, [string, number, number]>
  private readonly countRow: Statement<{ n: number }, [string]>

  constructor(private readonly db: Database) {
    this.maxSeqRow = db.query('SELECT MAX(seq) AS seq FROM events WHERE task_id = ?')
    this.afterRows = db.query(
      `SELECT ${COLUMNS} FROM events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    )
    this.latestRows = db.query(`SELECT ${COLUMNS} FROM events WHERE task_id = ? ORDER BY seq DESC LIMIT ?`)
    // The aggregate takes the rows in the order they are read, and INDEXED BY holds the read to the
    // (task_id, seq) index, so they come oldest first: asking the aggregate to sort them anew cost a
    // third more. As a BLOB, the text comes as SQLite's own bytes, sent as they are instead of
    // decoded and encoded again.
    const jsonOf = (bound: string) =>
      db.query<EventsJsonRow, [string, number]>(
        `SELECT CAST(json_group_array(${EVENT_COLUMNS.jsonObject()}) AS BLOB) AS json, COUNT(*) AS count,
           MAX(seq) AS lastSeq, MAX(${EVENT_COLUMNS.jsonDoubts()}) AS doubted
         FROM events INDEXED BY sqlite_autoindex_events_1
         WHERE task_id = ?1 AND ${bound}`,
      )
    this.jsonAfterRow = jsonOf('seq > ?2')
    // From the Nth newest seq (0 when there are fewer) up, wherever the seqs have gaps.
    this.latestJsonRow = jsonOf(
      'seq >= COALESCE((SELECT seq FROM events WHERE task_id = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2 - 1), 0)',
    )
    this.beforeRows = db.query(
      `SELECT ${COLUMNS} FROM events WHERE task_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    )
    this.countRow = db.query('SELECT COUNT(*) AS n FROM events WHERE task_id = ?')
  }

  /**
   * Inserts `events` in their order and returns the first one's id: the others follow it one by one,
   * since rowids are taken as the largest so far plus one, and the caller's transaction keeps every
   * other writer out. Caller owns the transaction.
   */
  insertMany(events: readonly EventInsert[]): number {
    let first = 0
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, events.length - start)
      const values = this.insertValues
      values.length = count * INSERT_COLUMNS
      for (let i = 0; i < count; i++) {
        const event = events[start + i] as EventInsert
        const at = i * INSERT_COLUMNS
        values[at] = event.task_id
        values[at + 1] = event.seq
        values[at + 2] = event.attempt_id
        values[at + 3] = event.kind
        values[at + 4] = event.message
        values[at + 5] = event.metadata_json
        values[at + 6] = event.created_at
      }
      const last = Number(this.insertStatement(count).run(...values).lastInsertRowid)
      if (start === 0) first = last - count + 1
    }
    return first
  }

  private insertStatement(rows: number): Statement {
    let statement = this.insertRows.get(rows)
    if (!statement) {
      const tuple = `(${Array(INSERT_COLUMNS).fill('?').join(', ')})`
      statement = this.db.prepare(
        `INSERT INTO events (task_id, seq, attempt_id, kind, message, metadata_json, created_at) VALUES ${Array(rows).fill(tuple).join(', ')}`,
      )
      this.insertRows.set(rows, statement)
    }
    return statement
  }

  maxSeq(taskId: string): number {
    return this.maxSeqRow.get(taskId)?.seq ?? 0
  }

  /** The last seq of each of these tasks (0 without events), one query for a page of tasks. */
  maxSeqs(taskIds: readonly string[]): Map<string, number> {
    const result = new Map<string, number>()
    // Per task through the (task_id, seq) index; a GROUP BY over the list would read every event.
    const rows = selectIn<{ id: string; seq: number | null }>(
      this.db,
      taskIds,
      (list) =>
        `SELECT tasks.id, (SELECT MAX(seq) FROM events WHERE task_id = tasks.id) AS seq FROM tasks WHERE tasks.id IN (${list})`,
    )
    for (const row of rows) result.set(row.id, row.seq ?? 0)
    return result
  }

  after(taskId: string, seq: number, limit: number): TaskEvent[] {
    return this.afterRows.all(taskId, seq, limit).map(toEvent)
  }

  /** The newest `limit` events, oldest first. */
  latest(taskId: string, limit: number): TaskEvent[] {
    return this.latestRows.all(taskId, limit).map(toEvent).reverse()
  }

  /**
   * `latest` serialised by SQLite (every event when `limit` is 'all'): what a page of task views
   * embeds, without a JavaScript object per event.
   */
  latestJson(taskId: string, limit: number | 'all'): EventsJson {
    const { doubted, ...built } = this.latestJsonRows(taskId, limit)
    if (!doubted) return built
    // Metadata SQLite could not read (see `jsonDoubt`): these events are serialised as `latest` reads them.
    const events = this.latest(taskId, limit === 'all' ? Number.MAX_SAFE_INTEGER : limit)
    return {
      json: UTF8.encode(JSON.stringify(events)),
      count: events.length,
      lastSeq: events.at(-1)?.seq ?? null,
    }
  }

  /**
   * The newest `limit` events are those past the newest seq less `limit`: a seek and one range of
   * the index, where finding the Nth newest walked N entries of it first (a fifth of a page of
   * task views). Seqs are contiguous, so the range holds them all; if it falls short while older
   * events exist, the seqs have a gap and the Nth newest is looked for instead.
   */
  private latestJsonRows(taskId: string, limit: number | 'all'): EventsJsonRow {
    if (limit === 'all') return this.jsonAfterRow.get(taskId, 0) as EventsJsonRow
    const newest = this.maxSeqRow.get(taskId)?.seq ?? 0
    const rows = this.jsonAfterRow.get(taskId, newest - limit) as EventsJsonRow
    return rows.count === limit || newest <= limit
      ? rows
      : (this.latestJsonRow.get(taskId, limit) as EventsJsonRow)
  }

  /** The `limit` events just before `seq`, oldest first (for loading older history on demand). */
  before(taskId: string, seq: number, limit: number): TaskEvent[] {
    return this.beforeRows.all(taskId, seq, limit).map(toEvent).reverse()
  }

  /** The newest `limit` events that satisfy a fixed SQL condition (owned by the caller's module), oldest first. */
  latestMatching(taskId: string, limit: number, condition: string): TaskEvent[] {
    return this.db
      .query<Row, [string, number]>(
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
