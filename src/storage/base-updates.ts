import type { Database } from 'bun:sqlite'
import type { BaseUpdateMode } from '../models'
import { parseStoredJson } from './json'

export type BaseUpdatePhase = 'writing' | 'conflicted'

export interface BaseUpdateRecord<Plan = unknown> {
  task_id: string
  mode: BaseUpdateMode
  phase: BaseUpdatePhase
  plan: Plan
  /** The conflicted files, once the update is `conflicted`. */
  files: string[]
  created_at: string
}

interface BaseUpdateRow {
  task_id: string
  mode: BaseUpdateMode
  phase: BaseUpdatePhase
  plan_json: string
  files_json: string
  created_at: string
}

const COLUMNS = 'task_id, mode, phase, plan_json, files_json, created_at'

const toRecord = ({ plan_json, files_json, ...row }: BaseUpdateRow): BaseUpdateRecord => ({
  ...row,
  plan: parseStoredJson<unknown>(plan_json, null),
  files: parseStoredJson<string[]>(files_json, []),
})

/**
 * An update of a task's branch from its target, recorded before git writes anything and kept
 * while its conflict waits (migrations/010_review_comments.sql). At most one per task.
 */
export class BaseUpdateTable {
  constructor(private readonly db: Database) {}

  record(update: BaseUpdateRecord): void {
    this.db
      .prepare(`INSERT INTO base_updates (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(
        update.task_id,
        update.mode,
        update.phase,
        JSON.stringify(update.plan),
        JSON.stringify(update.files),
        update.created_at,
      )
  }

  get(taskId: string): BaseUpdateRecord | null {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM base_updates WHERE task_id = ?`)
      .get(taskId) as BaseUpdateRow | null
    return row ? toRecord(row) : null
  }

  conflicted(taskId: string, files: string[]): void {
    this.db
      .prepare("UPDATE base_updates SET phase = 'conflicted', files_json = ? WHERE task_id = ?")
      .run(JSON.stringify(files), taskId)
  }

  clear(taskId: string): void {
    this.db.prepare('DELETE FROM base_updates WHERE task_id = ?').run(taskId)
  }

  list(): BaseUpdateRecord[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM base_updates ORDER BY created_at`)
      .all()
      .map((row) => toRecord(row as BaseUpdateRow))
  }
}
