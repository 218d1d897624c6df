import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { api, spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { percentile, round } from './lib/measure'

const TASKS = 50
const LINES = 10_000

export async function benchConcurrency(taskPagePath = (id: string) => `/tasks/${id}`) {
  const dir = tempDir('openruntime-bench-')
  const workspace = join(dir.path, 'plain')
  mkdirSync(workspace)
  const dbPath = join(dir.path, 'data', 'db.sqlite3')
  const server = await spawnServer({ OPENRUNTIME_DB: dbPath, OPENRUNTIME_MAX_PARALLEL: '8' })
  try {
    const ids: string[] = []
    for (let i = 0; i < TASKS; i++) {
      const created = await api(server.url, 'POST', '/tasks', {
        title: `c${i}`,
        prompt: '',
        runner: 'shell',
        command: `seq 1 ${LINES}`,
        workspace,
      })
      ids.push(created.body.id)
    }
    const started = performance.now()
    await Promise.all(ids.map((id) => api(server.url, 'POST', `/tasks/${id}/start`)))
    const listLatency: number[] = []
    const pageLatency: number[] = []
    while (true) {
      let t = performance.now()
      const list = await fetch(`${server.url}/tasks?events=none&limit=50`)
      const tasks = (await list.json()) as { status: string }[]
      listLatency.push(performance.now() - t)
      t = performance.now()
      await (await fetch(`${server.url}${taskPagePath(ids[pageLatency.length % TASKS] as string)}`)).text()
      pageLatency.push(performance.now() - t)
      if (tasks.every((task) => task.status === 'completed' || task.status === 'failed')) break
      await Bun.sleep(20)
    }
    const totalSeconds = (performance.now() - started) / 1000
    const db = new Database(dbPath, { readonly: true })
    const stored =
      db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM events WHERE kind = 'stdout'").get()?.n ?? 0
    db.close()
    return {
      tasks: TASKS,
      lines_each: LINES,
      total_seconds: round(totalSeconds, 2),
      stdout_events_stored: stored,
      all_present: stored === TASKS * LINES,
      list_p99_ms: round(percentile(listLatency, 99)),
      task_page_p99_ms: round(percentile(pageLatency, 99)),
      samples: listLatency.length,
    }
  } finally {
    await server.kill('SIGTERM')
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchConcurrency(), null, 2))
  process.exit(0)
}
