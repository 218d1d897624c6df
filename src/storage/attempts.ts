import type { Database, Statement } from 'bun:sqlite'
import { type AttemptRecord, emptyLedger } from '../domain'
import { Columns, flag, json, number, type Row, text } from './columns'
import { selectIn } from './in-list'

/** How each field of an attempt is stored in `task_attempts`; `stop_reason` is written, never read back. */
export const ATTEMPT_COLUMNS = new Columns<AttemptRecord, { stop_reason: string | null }>(
  {
    id: text(),
    task_id: text(),
    attempt_number: number(),
    runner: text(),
    status: text(),
    execution_workspace: text(),
    runner_session_id: text(),
    started_at: text(),
    finished_at: text(),
    exit_status: text(),
    summary: text(),
    sandboxed: flag(),
    isolated: flag(),
    limits: json(),
    cost_ledger: json(emptyLedger),
    runner_host_id: text(),
  },
  { stop_reason: text() },
)

/** What is needed to find a runner's process group again after the server died. */
export interface ProcessMark {
  attempt_id: string
  task_id: string
  pgid: number
  process_started: string | null
}

export type AttemptPatch = Partial<
  Pick<
    AttemptRecord,
    | 'status'
    | 'execution_workspace'
    | 'runner_session_id'
    | 'finished_at'
    | 'exit_status'
    | 'summary'
    | 'sandboxed'
    | 'isolated'
    | 'limits'
    | 'cost_ledger'
  >
> & { stop_reason?: string | null }

const toRecord = (row: Row): AttemptRecord => ATTEMPT_COLUMNS.toRecord(row)

export class AttemptTable {
  private readonly insertRow: Statement
  private readonly forTask: Statement<Row, [string]>
  private readonly byId: Statement<Row, [string]>
  private readonly latestForTask: Statement<Row, [string]>
  private readonly nextNumber: Statement<{ next: number }, [string]>
  private readonly markRow: Statement
  private readonly clearMarkRow: Statement

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(
      `INSERT INTO task_attempts (${ATTEMPT_COLUMNS.insertNames}) VALUES (${ATTEMPT_COLUMNS.placeholders})`,
    )
    this.forTask = db.query(
      `SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts WHERE task_id = ? ORDER BY attempt_number`,
    )
    this.byId = db.query(`SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts WHERE id = ?`)
    this.latestForTask = db.query(
      `SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts WHERE task_id = ? ORDER BY attempt_number DESC LIMIT 1`,
    )
    this.nextNumber = db.query(
      'SELECT COALESCE(MAX(attempt_number), 0) + 1 AS next FROM task_attempts WHERE task_id = ?',
    )
    this.markRow = db.prepare('UPDATE task_attempts SET pgid = ?, process_started = ? WHERE id = ?')
    this.clearMarkRow = db.prepare(
      'UPDATE task_attempts SET pgid = NULL, process_started = NULL WHERE id = ?',
    )
  }

  insert(
    attempt: Pick<
      AttemptRecord,
      'id' | 'task_id' | 'runner' | 'status' | 'execution_workspace' | 'runner_session_id' | 'started_at'
    > &
      Partial<Pick<AttemptRecord, 'runner_host_id'>>,
  ): AttemptRecord {
    const record: AttemptRecord = {
      ...attempt,
      runner_host_id: attempt.runner_host_id ?? null,
      attempt_number: this.nextNumber.get(attempt.task_id)?.next ?? 1,
      finished_at: null,
      exit_status: null,
      summary: null,
      sandboxed: null,
      isolated: null,
      limits: null,
      cost_ledger: emptyLedger(),
    }
    this.insertRow.run(...ATTEMPT_COLUMNS.values(record))
    return record
  }

  get(id: string): AttemptRecord | null {
    const row = this.byId.get(id)
    return row ? toRecord(row) : null
  }

  list(taskId: string): AttemptRecord[] {
    return this.forTask.all(taskId).map(toRecord)
  }

  /** The attempts of each of these tasks, oldest first (one query for a page of tasks). */
  listFor(taskIds: readonly string[]): Map<string, AttemptRecord[]> {
    const result = new Map<string, AttemptRecord[]>(taskIds.map((id) => [id, []]))
    const rows = selectIn<Row>(
      this.db,
      taskIds,
      (list) =>
        `SELECT ${ATTEMPT_COLUMNS.select} FROM task_attempts WHERE task_id IN (${list}) ORDER BY task_id, attempt_number`,
    )
    for (const row of rows) {
      const attempt = toRecord(row)
      result.get(attempt.task_id)?.push(attempt)
    }
    return result
  }

  latest(taskId: string): AttemptRecord | null {
    const row = this.latestForTask.get(taskId)
    return row ? toRecord(row) : null
  }

  patch(id: string, patch: AttemptPatch): void {
    const { sql, values } = ATTEMPT_COLUMNS.assignments(patch)
    if (sql === '') return
    this.db.query(`UPDATE task_attempts SET ${sql} WHERE id = ?`).run(...values, id)
  }

  markProcess(id: string, pgid: number, processStarted: string | null): void {
    this.markRow.run(pgid, processStarted, id)
  }

  clearProcess(id: string): void {
    this.clearMarkRow.run(id)
  }

  /** Attempts whose process group was recorded and never seen to end. */
  markedProcesses(): ProcessMark[] {
    return this.db
      .query<ProcessMark, []>(
        'SELECT id AS attempt_id, task_id, pgid, process_started FROM task_attempts WHERE pgid IS NOT NULL',
      )
      .all()
  }
}
