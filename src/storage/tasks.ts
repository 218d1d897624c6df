import type { Database, Statement } from 'bun:sqlite'
import {
  type CostLedger,
  defaultPolicy,
  type EffectivePolicy,
  emptyLedger,
  type RunnerKind,
  type TaskRecord,
  type TaskStatus,
} from '../domain'
import { parseStoredJson } from './json'

interface TaskRow {
  id: string
  title: string
  prompt: string
  runner: string
  command: string
  model: string | null
  workspace: string
  worktree_path: string | null
  execution_workspace: string | null
  runner_session_id: string | null
  base_commit: string | null
  diff_stat: string | null
  approved_at: string | null
  worktree_merged_at: string | null
  worktree_cleaned_at: string | null
  status: string
  budget_minutes: number
  policy_json: string
  effective_policy_json: string | null
  cost_ledger_json: string
  created_at: string
  updated_at: string
}

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

const COLUMNS =
  'id, title, prompt, runner, command, model, workspace, worktree_path, execution_workspace, runner_session_id, base_commit, diff_stat, approved_at, worktree_merged_at, worktree_cleaned_at, status, budget_minutes, policy_json, effective_policy_json, cost_ledger_json, created_at, updated_at'

function toRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    title: row.title,
    prompt: row.prompt,
    runner: row.runner as RunnerKind,
    command: row.command,
    model: row.model,
    workspace: row.workspace,
    worktree_path: row.worktree_path,
    execution_workspace: row.execution_workspace,
    runner_session_id: row.runner_session_id,
    base_commit: row.base_commit,
    diff_stat: row.diff_stat,
    approved_at: row.approved_at,
    worktree_merged_at: row.worktree_merged_at,
    worktree_cleaned_at: row.worktree_cleaned_at,
    status: row.status as TaskStatus,
    budget_minutes: row.budget_minutes,
    policy: storedPolicy(row.policy_json),
    effective_policy: row.effective_policy_json ? storedPolicy(row.effective_policy_json) : null,
    cost_ledger: { ...emptyLedger(), ...parseStoredJson<Partial<CostLedger>>(row.cost_ledger_json, {}) },
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** Policies stored before a field existed get its default. */
const storedPolicy = (json: string): EffectivePolicy => ({
  ...defaultPolicy(),
  ...parseStoredJson<Partial<EffectivePolicy>>(json, {}),
})

const PATCH_COLUMNS: Record<keyof TaskPatch, { column: string; encode: (value: unknown) => unknown }> = {
  worktree_path: { column: 'worktree_path', encode: (v) => v },
  execution_workspace: { column: 'execution_workspace', encode: (v) => v },
  runner_session_id: { column: 'runner_session_id', encode: (v) => v },
  base_commit: { column: 'base_commit', encode: (v) => v },
  diff_stat: { column: 'diff_stat', encode: (v) => v },
  approved_at: { column: 'approved_at', encode: (v) => v },
  worktree_merged_at: { column: 'worktree_merged_at', encode: (v) => v },
  worktree_cleaned_at: { column: 'worktree_cleaned_at', encode: (v) => v },
  effective_policy: {
    column: 'effective_policy_json',
    encode: (v) => (v === null ? null : JSON.stringify(v)),
  },
  cost_ledger: { column: 'cost_ledger_json', encode: (v) => JSON.stringify(v) },
}

export class TaskTable {
  private readonly byId: Statement<TaskRow, [string]>
  private readonly snapshotById: Statement<{ machine_snapshot: string }, [string]>
  private readonly insertRow: Statement
  private readonly setStateRow: Statement
  private readonly touchRow: Statement
  private readonly deleteRow: Statement

  constructor(private readonly db: Database) {
    this.byId = db.query(`SELECT ${COLUMNS} FROM tasks WHERE id = ?`)
    this.snapshotById = db.query('SELECT machine_snapshot FROM tasks WHERE id = ?')
    this.insertRow = db.prepare(
      `INSERT INTO tasks (${COLUMNS}, machine_snapshot) VALUES ($id, $title, $prompt, $runner, $command, $model, $workspace, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $status, $budget_minutes, $policy_json, NULL, $cost_ledger_json, $created_at, $updated_at, $machine_snapshot)`,
    )
    this.setStateRow = db.prepare(
      'UPDATE tasks SET status = ?, machine_snapshot = ?, updated_at = ? WHERE id = ?',
    )
    this.touchRow = db.prepare('UPDATE tasks SET updated_at = ? WHERE id = ?')
    this.deleteRow = db.prepare('DELETE FROM tasks WHERE id = ?')
  }

  insert(task: TaskRecord, snapshot: string): void {
    this.insertRow.run({
      id: task.id,
      title: task.title,
      prompt: task.prompt,
      runner: task.runner,
      command: task.command,
      model: task.model,
      workspace: task.workspace,
      status: task.status,
      budget_minutes: task.budget_minutes,
      policy_json: JSON.stringify(task.policy),
      cost_ledger_json: JSON.stringify(task.cost_ledger),
      created_at: task.created_at,
      updated_at: task.updated_at,
      machine_snapshot: snapshot,
    })
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
    const entries = Object.entries(patch) as [keyof TaskPatch, unknown][]
    if (entries.length === 0) return
    const sets = entries.map(([key]) => `${PATCH_COLUMNS[key].column} = ?`)
    const values = entries.map(([key, value]) => PATCH_COLUMNS[key].encode(value)) as (
      | string
      | number
      | null
    )[]
    this.db.prepare(`UPDATE tasks SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`).run(...values, at, id)
  }

  /** Writes the frozen policy only if none was frozen before (the snapshot is write-once). */
  freezePolicy(id: string, policy: EffectivePolicy, at: string): boolean {
    const result = this.db
      .prepare(
        'UPDATE tasks SET effective_policy_json = ?, updated_at = ? WHERE id = ? AND effective_policy_json IS NULL',
      )
      .run(JSON.stringify(policy), at, id)
    return result.changes === 1
  }

  list(query: TaskListQuery): TaskRecord[] {
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
      where.push('(updated_at < ? OR (updated_at = ? AND id < ?))')
      params.push(query.after.updated_at, query.after.updated_at, query.after.id)
    }
    const sql = `SELECT ${COLUMNS} FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, id DESC LIMIT ?`
    return this.db
      .query<TaskRow, (string | number)[]>(sql)
      .all(...params, query.limit)
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

  /** Workspaces tasks ran in, most recently used first. */
  recentWorkspaces(limit: number): string[] {
    return this.db
      .query<{ workspace: string }, [number]>(
        'SELECT workspace FROM tasks GROUP BY workspace ORDER BY MAX(updated_at) DESC LIMIT ?',
      )
      .all(limit)
      .map((row) => row.workspace)
  }

  /** Task ids by agent session id, for linking the local session inventory to tasks. */
  idsBySession(sessionIds: string[]): Map<string, string> {
    const result = new Map<string, string>()
    for (let i = 0; i < sessionIds.length; i += 500) {
      const chunk = sessionIds.slice(i, i + 500)
      const rows = this.db
        .query<{ id: string; runner_session_id: string }, string[]>(
          `SELECT id, runner_session_id FROM tasks WHERE runner_session_id IN (${chunk.map(() => '?').join(', ')})`,
        )
        .all(...chunk)
      for (const row of rows) result.set(row.runner_session_id, row.id)
    }
    return result
  }

  delete(id: string): boolean {
    return this.deleteRow.run(id).changes === 1
  }
}
