import type { Database, Statement } from 'bun:sqlite'
import {
  defaultPolicy,
  type EffectivePolicy,
  emptyLedger,
  type RunnerKind,
  type TaskRecord,
  type TaskStatus,
} from '../domain'
import { Columns, json, jsonList, number, type Row, stringList, text } from './columns'
import { selectIn } from './in-list'

/**
 * The workspaces tasks ran in, the most recently changed first, ties by name. Every page that
 * offers workspaces asks this, so it must not read every task: the distinct workspaces are walked
 * one seek of the (workspace, updated_at) index at a time, and each one's newest change is one more
 * (a GROUP BY reads the whole index: 30 ms a page at 100,000 tasks).
 */
const RECENT_WORKSPACES = `WITH RECURSIVE workspaces(workspace) AS (
    SELECT MIN(workspace) FROM tasks
    UNION ALL
    SELECT (SELECT MIN(workspace) FROM tasks WHERE workspace > workspaces.workspace)
    FROM workspaces WHERE workspace IS NOT NULL
  )
  SELECT workspace FROM workspaces WHERE workspace IS NOT NULL
  ORDER BY (SELECT MAX(updated_at) FROM tasks WHERE tasks.workspace = workspaces.workspace) DESC, workspace
  LIMIT ?`

/** How each field of a task is stored in `tasks` (besides the machine snapshot and the follow-up). */
export const TASK_COLUMNS = new Columns<TaskRecord>({
  id: text(),
  title: text(),
  prompt: text(),
  runner: text(),
  command: text(),
  model: text(),
  workspace: text(),
  worktree_path: text(),
  execution_workspace: text(),
  runner_session_id: text(),
  base_commit: text(),
  diff_stat: text(),
  approved_at: text(),
  worktree_merged_at: text(),
  worktree_cleaned_at: text(),
  status: text(),
  budget_minutes: number(),
  // Policies and ledgers stored before a field existed get its default.
  policy: json(defaultPolicy),
  effective_policy: json(defaultPolicy),
  cost_ledger: json(emptyLedger),
  runner_labels: stringList(),
  group_id: text(),
  checks: jsonList(),
  criteria: stringList(),
  created_at: text(),
  updated_at: text(),
})

/** Columns that may be changed after creation (status and the snapshot only change together, see setState). */
export type TaskPatch = Partial<
  Pick<
    TaskRecord,
    | 'worktree_path'
    | 'execution_workspace'
    | 'runner_session_id'
    | 'base_commit'
    | 'diff_stat'
    | 'approved_at'
    | 'worktree_merged_at'
    | 'worktree_cleaned_at'
    | 'effective_policy'
    | 'cost_ledger'
  >
>

export interface TaskListQuery {
  limit: number
  /** Opaque position from a previous page: the last task's (updated_at, id). */
  after?: { updated_at: string; id: string }
  status?: TaskStatus[]
  workspace?: string
  runner?: RunnerKind
}

const toRecord = (row: Row): TaskRecord => TASK_COLUMNS.toRecord(row)

/** A roster entry's columns as `rosterEntries` reads them (a task without attempts has null times). */
export type RosterRow = Pick<
  TaskRecord,
  'id' | 'title' | 'status' | 'runner' | 'workspace' | 'group_id' | 'created_at' | 'diff_stat'
> & { runtime_millis: number | null; started_at: string | null; finished_at: string | null }

/** The WHERE clause (with its parameters) of a page of tasks, newest first. */
function listFilter(query: TaskListQuery): { where: string; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  if (query.status?.length) {
    where.push(`status IN (${query.status.map(() => '?').join(', ')})`)
    params.push(...query.status)
  }
  if (query.workspace) {
    where.push('workspace = ?')
    params.push(query.workspace)
  }
  if (query.runner) {
    where.push('runner = ?')
    params.push(query.runner)
  }
  if (query.after) {
    // As a row value, so the page starts with a seek of the index (an OR walked it from the top:
    // 1.2 ms at the 9,000th task, growing with the depth of the page).
    where.push('(updated_at, id) < (?, ?)')
    params.push(query.after.updated_at, query.after.id)
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params }
}

export class TaskTable {
  private readonly byId: Statement<Row, [string]>
  private readonly snapshotById: Statement<{ machine_snapshot: string }, [string]>
  private readonly insertRow: Statement
  private readonly setStateRow: Statement
  private readonly touchRow: Statement
  private readonly deleteRow: Statement

  constructor(private readonly db: Database) {
    this.byId = db.query(`SELECT ${TASK_COLUMNS.select} FROM tasks WHERE id = ?`)
    this.snapshotById = db.query('SELECT machine_snapshot FROM tasks WHERE id = ?')
    this.insertRow = db.prepare(
      `INSERT INTO tasks (${TASK_COLUMNS.insertNames}, machine_snapshot) VALUES (${TASK_COLUMNS.placeholders}, ?)`,
    )
    this.setStateRow = db.prepare(
      'UPDATE tasks SET status = ?, machine_snapshot = ?, updated_at = ? WHERE id = ?',
    )
    this.touchRow = db.prepare('UPDATE tasks SET updated_at = ? WHERE id = ?')
    this.deleteRow = db.prepare('DELETE FROM tasks WHERE id = ?')
  }

  insert(task: TaskRecord, snapshot: string): void {
    this.insertRow.run(...TASK_COLUMNS.values(task), snapshot)
  }

  get(id: string): TaskRecord | null {
    const row = this.byId.get(id)
    return row ? toRecord(row) : null
  }

  snapshot(id: string): string | null {
    return this.snapshotById.get(id)?.machine_snapshot ?? null
  }

  setState(id: string, status: TaskStatus, snapshot: string, at: string): void {
    this.setStateRow.run(status, snapshot, at, id)
  }

  touch(id: string, at: string): void {
    this.touchRow.run(at, id)
  }

  patch(id: string, patch: TaskPatch, at: string): void {
    const { sql, values } = TASK_COLUMNS.assignments(patch)
    if (sql === '') return
    this.db.query(`UPDATE tasks SET ${sql}, updated_at = ? WHERE id = ?`).run(...values, at, id)
  }

  /** Writes the frozen policy only if none was frozen before (the snapshot is write-once). */
  freezePolicy(id: string, policy: EffectivePolicy, at: string): boolean {
    const { sql, values } = TASK_COLUMNS.assignments({ effective_policy: policy })
    const frozen = TASK_COLUMNS.column('effective_policy')
    const result = this.db
      .prepare(`UPDATE tasks SET ${sql}, updated_at = ? WHERE id = ? AND ${frozen} IS NULL`)
      .run(...values, at, id)
    return result.changes === 1
  }

  list(query: TaskListQuery): TaskRecord[] {
    const { where, params } = listFilter(query)
    return this.db
      .query<Row, (string | number)[]>(
        `SELECT ${TASK_COLUMNS.select} FROM tasks ${where} ORDER BY updated_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, query.limit)
      .map(toRecord)
  }

  /** The page `list` reads, as roster entries: a few columns and the newest attempt's times. */
  rosterEntries(query: TaskListQuery): RosterRow[] {
    const { where, params } = listFilter(query)
    const ledger = TASK_COLUMNS.column('cost_ledger')
    const newest = (column: string) =>
      `(SELECT ${column} FROM task_attempts WHERE task_id = tasks.id ORDER BY attempt_number DESC LIMIT 1)`
    return this.db
      .query<RosterRow, (string | number)[]>(
        `SELECT id, title, status, runner, workspace, group_id, created_at, diff_stat,
           CASE WHEN json_valid(${ledger}) THEN json_extract(${ledger}, '$.runtime_millis') END AS runtime_millis,
           ${newest('started_at')} AS started_at, ${newest('finished_at')} AS finished_at
         FROM tasks ${where} ORDER BY updated_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, query.limit)
  }

  /** The tasks of these groups (variants), oldest first. */
  inGroups(groupIds: string[]): TaskRecord[] {
    if (groupIds.length === 0) return []
    return this.db
      .query<Row, string[]>(
        `SELECT ${TASK_COLUMNS.select} FROM tasks WHERE group_id IN (${groupIds.map(() => '?').join(', ')}) ORDER BY created_at, id`,
      )
      .all(...groupIds)
      .map(toRecord)
  }

  idsWithStatus(statuses: TaskStatus[]): string[] {
    return this.db
      .query<{ id: string }, string[]>(
        `SELECT id FROM tasks WHERE status IN (${statuses.map(() => '?').join(', ')}) ORDER BY created_at`,
      )
      .all(...statuses)
      .map((row) => row.id)
  }

  /** The workspaces tasks ran in, the most recently changed first (see RECENT_WORKSPACES). */
  recentWorkspaces(limit: number): string[] {
    return this.db
      .query<{ workspace: string }, [number]>(RECENT_WORKSPACES)
      .all(limit)
      .map((row) => row.workspace)
  }

  /** Task ids by agent session id, for linking the local session inventory to tasks. */
  idsBySession(sessionIds: string[]): Map<string, string> {
    const result = new Map<string, string>()
    const rows = selectIn<{ id: string; runner_session_id: string }>(
      this.db,
      sessionIds,
      (list) => `SELECT id, runner_session_id FROM tasks WHERE runner_session_id IN (${list})`,
    )
    for (const row of rows) result.set(row.runner_session_id, row.id)
    return result
  }

  /** The stored machine snapshots of these tasks, by id (one query for a page of tasks). */
  snapshots(ids: readonly string[]): Map<string, string> {
    const result = new Map<string, string>()
    const rows = selectIn<{ id: string; machine_snapshot: string }>(
      this.db,
      ids,
      (list) => `SELECT id, machine_snapshot FROM tasks WHERE id IN (${list})`,
    )
    for (const row of rows) result.set(row.id, row.machine_snapshot)
    return result
  }

  delete(id: string): boolean {
    return this.deleteRow.run(id).changes === 1
  }
}
