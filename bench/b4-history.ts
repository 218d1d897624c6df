import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createActor, transition } from 'xstate'
import { defaultPolicy, emptyLedger } from '../src/domain'
import { taskMachine } from '../src/machines/task-machine'
import { openDatabase } from '../src/storage/database'
import { migrate } from '../src/storage/migrate'
import { spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { round } from './lib/measure'
import { taskPagePath as defaultTaskPage } from './lib/task-page'

const TASKS = 10_000
const EVENTS = 2_000_000

/** The persisted snapshot of a task that ran once and completed, as the machine itself produces it. */
function completedSnapshot(): string {
  const actor = createActor(taskMachine, { input: { requiresApproval: false } }).start()
  let snapshot = actor.getSnapshot()
  for (const event of [
    { type: 'START' },
    { type: 'CLAIM' },
    { type: 'EXIT', outcome: 'no-changes' },
  ] as const) {
    ;[snapshot] = transition(taskMachine, snapshot, event)
  }
  const restored = createActor(taskMachine, { snapshot, input: { requiresApproval: false } })
  return JSON.stringify(restored.getPersistedSnapshot())
}

function seed(dbPath: string, workspace: string): string {
  const db = openDatabase(dbPath)
  migrate(db)
  const snapshot = completedSnapshot()
  const insertTask = db.prepare(
    `INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
     VALUES (?, ?, '', 'shell', 'seq 1 200', ?, 'completed', 15, ?, ?, ?, ?, ?)`,
  )
  const insertEvent = db.prepare(
    "INSERT INTO events (task_id, seq, attempt_id, kind, message, metadata_json, created_at) VALUES (?, ?, NULL, 'stdout', ?, NULL, ?)",
  )
  const policy = JSON.stringify(defaultPolicy())
  const ledger = JSON.stringify(emptyLedger())
  const perTask = EVENTS / TASKS
  let biggest = ''
  const base = Date.parse('2026-01-01T00:00:00.000Z')
  db.transaction(() => {
    for (let t = 0; t < TASKS; t++) {
      const id = randomUUID()
      const at = new Date(base + t * 1000).toISOString()
      insertTask.run(id, `history ${t}`, workspace, policy, ledger, snapshot, at, at)
      for (let s = 1; s <= perTask; s++) insertEvent.run(id, s, `line ${s} of task ${t}`, at)
      biggest = id
    }
  })()
  db.close()
  return biggest
}

export async function benchHistory(taskPagePath = defaultTaskPage) {
  const dir = tempDir('openruntime-bench-')
  try {
    const workspace = join(dir.path, 'plain')
    mkdirSync(workspace)
    const dbPath = join(dir.path, 'data', 'db.sqlite3')
    const seedStarted = performance.now()
    const newest = seed(dbPath, workspace)
    const seedSeconds = (performance.now() - seedStarted) / 1000
    const startup = performance.now()
    const server = await spawnServer({ OPENRUNTIME_DB: dbPath })
    const startupMs = performance.now() - startup
    try {
      let t = performance.now()
      const list = await fetch(`${server.url}/tasks`, { headers: server.auth })
      const page = (await list.json()) as unknown[]
      const listMs = performance.now() - t
      t = performance.now()
      const task = await fetch(`${server.url}${taskPagePath(newest)}`, { headers: server.auth })
      await task.text()
      const taskMs = performance.now() - t
      return {
        tasks: TASKS,
        events: EVENTS,
        seed_seconds: round(seedSeconds, 1),
        startup_ms: round(startupMs),
        first_page_ms: round(listMs),
        first_page_tasks: page.length,
        task_page_ms: round(taskMs),
        task_page_status: task.status,
      }
    } finally {
      await server.kill('SIGTERM')
    }
  } finally {
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchHistory(), null, 2))
  process.exit(0)
}
