import type { Database } from 'bun:sqlite'
import { parseStoredJson } from './json'

export type IntentKind = 'merge' | 'cleanup' | 'restore'

export interface TaskIntent<Plan = unknown> {
  task_id: string
  kind: IntentKind
  plan: Plan
  created_at: string
}

interface IntentRow {
  task_id: string
  kind: IntentKind
  plan_json: string
  created_at: string
}

const toIntent = ({ plan_json, ...row }: IntentRow): TaskIntent => ({
  ...row,
  plan: parseStoredJson<unknown>(plan_json, null),
})

/** Repository work in progress, recorded before git acts (see migrations/005_task_intents.sql). */
export class IntentTable {
  constructor(private readonly db: Database) {}

  record(taskId: string, kind: IntentKind, plan: unknown, at: string): void {
    this.db
      .prepare('INSERT INTO task_intents (task_id, kind, plan_json, created_at) VALUES (?, ?, ?, ?)')
      .run(taskId, kind, JSON.stringify(plan), at)
  }

  get(taskId: string): TaskIntent | null {
    const row = this.db
      .prepare('SELECT task_id, kind, plan_json, created_at FROM task_intents WHERE task_id = ?')
      .get(taskId) as IntentRow | null
    return row ? toIntent(row) : null
  }

  clear(taskId: string): void {
    this.db.prepare('DELETE FROM task_intents WHERE task_id = ?').run(taskId)
  }

  list(): TaskIntent[] {
    return this.db
      .prepare('SELECT task_id, kind, plan_json, created_at FROM task_intents ORDER BY created_at')
      .all()
      .map((row) => toIntent(row as IntentRow))
  }
}
