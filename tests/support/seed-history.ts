import { randomUUID } from 'node:crypto'
import { initialTransition, transition } from 'xstate'
import { defaultPolicy, emptyLedger } from '../../src/domain'
import { taskMachine } from '../../src/machines/task-machine'
import { openDatabase } from '../../src/storage/database'
import { migrate } from '../../src/storage/migrate'

/** Long histories written straight into a real database before its server starts (seconds, not hours of runs). */

/** The persisted snapshot of a task that ran once and completed, as the machine itself produces it. */
export function completedSnapshot(): string {
  let [snapshot] = initialTransition(taskMachine, { requiresApproval: false })
  for (const event of [
    { type: 'START' },
    { type: 'CLAIM' },
    { type: 'EXIT', outcome: 'no-changes' },
  ] as const) {
    ;[snapshot] = transition(taskMachine, snapshot, event)
  }
  return JSON.stringify(taskMachine.getPersistedSnapshot(snapshot))
}

export interface SeededEvent {
  kind: string
  message: string
  metadata: Record<string, unknown> | null
}

/**
 * One completed shell task (runner `shell`, this command) whose timeline holds `count` events
 * made by `eventAt(seq)`; returns its id.
 */
export function seedTask(
  dbPath: string,
  task: { workspace: string; command: string; title: string },
  count: number,
  eventAt: (seq: number) => SeededEvent,
): string {
  const db = openDatabase(dbPath)
  migrate(db)
  const id = randomUUID()
  const at = '2026-01-01T00:00:00.000Z'
  const insertEvent = db.prepare(
    'INSERT INTO events (task_id, seq, attempt_id, kind, message, metadata_json, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?)',
  )
  db.transaction(() => {
    db.prepare(
      `INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
       VALUES (?, ?, '', 'shell', ?, ?, 'completed', 15, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      task.title,
      task.command,
      task.workspace,
      JSON.stringify(defaultPolicy()),
      JSON.stringify(emptyLedger()),
      completedSnapshot(),
      at,
      at,
    )
    for (let seq = 1; seq <= count; seq++) {
      const event = eventAt(seq)
      insertEvent.run(
        id,
        seq,
        event.kind,
        event.message,
        event.metadata && JSON.stringify(event.metadata),
        at,
      )
    }
  })()
  db.close()
  return id
}
