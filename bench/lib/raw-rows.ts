import type { Database, Statement } from 'bun:sqlite'

/**
 * Rows written straight into openRuntime's schema, for the baselines that store what a run
 * prints without openRuntime around it: a running shell task to hang events on, and the event
 * insert (task, seq, attempt, kind, message, metadata JSON, time).
 */
export function insertRawTask(db: Database, id: string, command: string, workspace: string): void {
  const at = new Date().toISOString()
  db.query(`INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
    VALUES (?, ?, '', 'shell', ?, ?, 'running', 15, '{}', '{}', '{}', ?, ?)`).run(
    id,
    id,
    command,
    workspace,
    at,
    at,
  )
}

export const rawEventInsert = (db: Database): Statement =>
  db.prepare(
    'INSERT INTO events (task_id, seq, attempt_id, kind, message, metadata_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
