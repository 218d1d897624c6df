import type { Database, Statement } from 'bun:sqlite'
import {
  type AttemptRecord,
  type CostLedger,
  emptyLedger,
  type RunLimitsRecord,
  type RunnerKind,
  type TaskStatus,
} from '../domain'
import { parseStoredJson } from './json'

interface AttemptRow {
  id: string
  task_id: string
  attempt_number: number
  runner: string
  status: string
  execution_workspace: string | null
  runner_session_id: string | null
  started_at: string
  finished_at: string | null
  exit_status: string | null
  summary: string | null
  sandboxed: number | null
  isolated: number | null
  limits_json: string | null
  cost_ledger_json: string
}

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

const COLUMNS =
  'id, task_id, attempt_number, runner, status, execution_workspace, runner_session_id, started_at, finished_at, exit_status, summary, sandboxed, isolated, limits_json, cost_ledger_json'

const flag = (value: number | null): boolean | null => (value === null ? null : value === 1)

const toRecord = ({ cost_ledger_json, limits_json, ...row }: AttemptRow): AttemptRecord => ({
  ...row,
  runner: row.runner as RunnerKind,
  status: row.status as TaskStatus,
  sandboxed: flag(row.sandboxed),
  isolated: flag(row.isolated),
  limits: limits_json === null ? null : parseStoredJson<RunLimitsRecord | null>(limits_json, null),
  cost_ledger: { ...emptyLedger(), ...parseStoredJson<Partial<CostLedger>>(cost_ledger_json, {}) },
})

/** Patchable fields and how each is stored. */
const PATCH_COLUMNS: Record<keyof AttemptPatch, { column: string; encode: (value: unknown) => unknown }> = {
  status: { column: 'status', encode: (v) => v },
  execution_workspace: { column: 'execution_workspace', encode: (v) => v },
  runner_session_id: { column: 'runner_session_id', encode: (v) => v },
  finished_at: { column: 'finished_at', encode: (v) => v },
  exit_status: { column: 'exit_status', encode: (v) => v },
  summary: { column: 'summary', encode: (v) => v },
  stop_reason: { column: 'stop_reason', encode: (v) => v },
  sandboxed: { column: 'sandboxed', encode: (v) => (v === null ? null : v ? 1 : 0) },
  isolated: { column: 'isolated', encode: (v) => (v === null ? null : v ? 1 : 0) },
  limits: { column: 'limits_json', encode: (v) => (v === null ? null : JSON.stringify(v)) },
  cost_ledger: { column: 'cost_ledger_json', encode: (v) => JSON.stringify(v) },
}

export class AttemptTable {
  private readonly insertRow: Statement
  private readonly forTask: Statement<AttemptRow, [string]>
  private readonly byId: Statement<AttemptRow, [string]>
  private readonly latestForTask: Statement<AttemptRow, [string]>
  private readonly nextNumber: Statement<{ next: number }, [string]>
  private readonly markRow: Statement
  private readonly clearMarkRow: Statement

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(
      `INSERT INTO task_attempts (id, task_id, attempt_number, runner, status, execution_workspace, runner_session_id, started_at) VALUES ($id, $task_id, $attempt_number, $runner, $status, $execution_workspace, $runner_session_id, $started_at)`,
    )
    this.forTask = db.query(`SELECT ${COLUMNS} FROM task_attempts WHERE task_id = ? ORDER BY attempt_number`)
    this.byId = db.query(`SELECT ${COLUMNS} FROM task_attempts WHERE id = ?`)
    this.latestForTask = db.query(
      `SELECT ${COLUMNS} FROM task_attempts WHERE task_id = ? ORDER BY attempt_number DESC LIMIT 1`,
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
    >,
  ): AttemptRecord {
    const attempt_number = this.nextNumber.get(attempt.task_id)?.next ?? 1
    this.insertRow.run({ ...attempt, attempt_number })
    return {
      ...attempt,
      attempt_number,
      finished_at: null,
      exit_status: null,
      summary: null,
      sandboxed: null,
      isolated: null,
      limits: null,
      cost_ledger: emptyLedger(),
    }
  }

  get(id: string): AttemptRecord | null {
    const row = this.byId.get(id)
    return row ? toRecord(row) : null
  }

  list(taskId: string): AttemptRecord[] {
    return this.forTask.all(taskId).map(toRecord)
  }

  latest(taskId: string): AttemptRecord | null {
    const row = this.latestForTask.get(taskId)
    return row ? toRecord(row) : null
  }

  patch(id: string, patch: AttemptPatch): void {
    const entries = (Object.entries(patch) as [keyof AttemptPatch, unknown][]).filter(
      ([key]) => key in PATCH_COLUMNS,
    )
    if (entries.length === 0) return
    const sets = entries.map(([key]) => `${PATCH_COLUMNS[key].column} = ?`)
    const values = entries.map(([key, value]) => PATCH_COLUMNS[key].encode(value ?? null)) as (
      | string
      | number
      | null
    )[]
    this.db.prepare(`UPDATE task_attempts SET ${sets.join(', ')} WHERE id = ?`).run(...values, id)
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
