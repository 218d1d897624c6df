import { Database } from 'bun:sqlite'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { defaultPolicy, emptyLedger } from '../src/domain'
import { openDatabase } from '../src/storage/database'
import { migrate } from '../src/storage/migrate'
import { completedSnapshot } from '../tests/support/seed-history'
import { spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'
import { taskPagePath as defaultTaskPage } from './lib/task-page'

const TASKS = 10_000
const EVENTS = 2_000_000

const PAGE = 50
const EMBEDDED = 100
const REPEATS = Number(process.env.REPEATS ?? 100)

/**
 * The same-run baseline: the SQL that reads what the first page shows (the newest 50 tasks, each
 * with its attempts and newest 100 events), straight from bun:sqlite with nothing around it.
 */
function rawFirstPage(db: Database): number {
  const started = performance.now()
  const tasks = db
    .query<{ id: string }, [number]>('SELECT * FROM tasks ORDER BY updated_at DESC, id DESC LIMIT ?')
    .all(PAGE + 1)
  const events = db.query('SELECT * FROM events WHERE task_id = ? ORDER BY seq DESC LIMIT ?')
  const attempts = db.query('SELECT * FROM task_attempts WHERE task_id = ? ORDER BY attempt_number')
  for (const task of tasks.slice(0, PAGE)) {
    events.all(task.id, EMBEDDED)
    attempts.all(task.id)
  }
  return performance.now() - started
}

/** Until the whole page has arrived; parsing it is the client's work, so it is not timed. */
async function timedPage(url: string, auth: Record<string, string>): Promise<{ ms: number; tasks: number }> {
  const started = performance.now()
  const body = await (await fetch(url, { headers: auth })).text()
  const ms = performance.now() - started
  return { ms, tasks: (JSON.parse(body) as unknown[]).length }
}

export function seedHistory(dbPath: string, workspace: string): string {
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
    const newest = seedHistory(dbPath, workspace)
    const seedSeconds = (performance.now() - seedStarted) / 1000
    const startup = performance.now()
    const server = await spawnServer({
      OPENRUNTIME_DB: dbPath,
      ...serverProfiling(),
    })
    const startupMs = performance.now() - startup
    try {
      const first = await timedPage(`${server.url}/tasks`, server.auth)
      const taskPage = async () => {
        const started = performance.now()
        const response = await fetch(`${server.url}${taskPagePath(newest)}`, { headers: server.auth })
        await response.text()
        return { ms: performance.now() - started, status: response.status }
      }
      const task = await taskPage()
      // The page and its raw SQL taken in turn: this machine's pace drifts over tens of requests,
      // and each should meet the same drift.
      const db = new Database(dbPath, { readonly: true })
      const warm: number[] = []
      const raw: number[] = []
      for (let i = 0; i < REPEATS; i++) {
        warm.push((await timedPage(`${server.url}/tasks`, server.auth)).ms)
        raw.push(rawFirstPage(db))
      }
      // The same SQL a hundred times back to back, the CPU's caches hot with it: a floor no page
      // served after a request meets, reported beside the turn-by-turn one.
      const hot: number[] = []
      for (let i = 0; i < REPEATS; i++) hot.push(rawFirstPage(db))
      db.close()
      const warmTask: number[] = []
      for (let i = 0; i < REPEATS; i++) warmTask.push((await taskPage()).ms)
      return {
        tasks: TASKS,
        events: EVENTS,
        seed_seconds: round(seedSeconds, 1),
        startup_ms: round(startupMs),
        first_page_ms: round(first.ms),
        first_page_tasks: first.tasks,
        first_page_warm_p50_ms: round(percentile(warm, 50)),
        raw_first_page_sql_p50_ms: round(percentile(raw, 50)),
        first_page_ratio_to_raw: round(percentile(warm, 50) / percentile(raw, 50), 2),
        raw_first_page_sql_back_to_back_p50_ms: round(percentile(hot, 50)),
        first_page_ratio_to_back_to_back_raw: round(percentile(warm, 50) / percentile(hot, 50), 2),
        task_page_ms: round(task.ms),
        task_page_warm_p50_ms: round(percentile(warmTask, 50)),
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
