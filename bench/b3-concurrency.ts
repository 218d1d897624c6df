import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { api, spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { startEmptyServer } from './lib/empty-server-process'
import { probeInTurn } from './lib/health-probe'
import { percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'
import { taskPagePath as defaultTaskPage } from './lib/task-page'

const TASKS = 50
const LINES = 10_000

/** Milliseconds to fetch `url` (with the server's token) and read its whole body. */
async function timedGet(url: string, auth: Record<string, string>): Promise<{ ms: number; body: string }> {
  const started = performance.now()
  const body = await (await fetch(url, { headers: auth })).text()
  return { ms: performance.now() - started, body }
}

const IDLE_PROBES = 2000

export async function benchConcurrency(taskPagePath = defaultTaskPage) {
  const dir = tempDir('openruntime-bench-')
  const workspace = join(dir.path, 'plain')
  mkdirSync(workspace)
  const dbPath = join(dir.path, 'data', 'db.sqlite3')
  const server = await spawnServer({
    OPENRUNTIME_DB: dbPath,
    OPENRUNTIME_MAX_PARALLEL: '8',
    ...serverProfiling(),
  })
  const empty = await startEmptyServer()
  try {
    const ids: string[] = []
    for (let i = 0; i < TASKS; i++) {
      const created = await api(server, 'POST', '/tasks', {
        title: `c${i}`,
        prompt: '',
        runner: 'shell',
        command: `seq 1 ${LINES}`,
        workspace,
        // A plain folder, not a repository: the runs go in place.
        policy: { allow_in_place: true },
      })
      ids.push(created.body.id)
    }
    // The same-run baselines: /health does no work, so what it takes is the wait for the server's
    // event loop. Probed idle first, then without pause for as long as the runs stream; an empty
    // server (a process that only answers) is probed in turn with it, to show what the load
    // leaves of the machine for any event loop.
    const probed = [
      { url: server.url, headers: server.auth },
      { url: empty.url, headers: {} },
    ]
    const [healthIdle = [], emptyIdle = []] = await probeInTurn(probed, IDLE_PROBES).latencies
    const started = performance.now()
    await Promise.all(ids.map((id) => api(server, 'POST', `/tasks/${id}/start`)))
    const healthUnderLoad = probeInTurn(probed)
    const listLatency: number[] = []
    const pageLatency: number[] = []
    while (true) {
      const list = await timedGet(`${server.url}/tasks?events=none&limit=50`, server.auth)
      listLatency.push(list.ms)
      pageLatency.push(
        (
          await timedGet(
            `${server.url}${taskPagePath(ids[pageLatency.length % TASKS] as string)}`,
            server.auth,
          )
        ).ms,
      )
      const tasks = JSON.parse(list.body) as { status: string }[]
      if (tasks.every((task) => task.status === 'completed' || task.status === 'failed')) break
    }
    healthUnderLoad.stop()
    const [healthLatency = [], emptyLatency = []] = await healthUnderLoad.latencies
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
      list_p50_ms: round(percentile(listLatency, 50)),
      list_p99_ms: round(percentile(listLatency, 99)),
      task_page_p50_ms: round(percentile(pageLatency, 50)),
      task_page_p99_ms: round(percentile(pageLatency, 99)),
      health_p50_ms: round(percentile(healthLatency, 50)),
      health_p99_ms: round(percentile(healthLatency, 99)),
      health_samples: healthLatency.length,
      health_idle_p50_ms: round(percentile(healthIdle, 50), 2),
      health_idle_p99_ms: round(percentile(healthIdle, 99), 2),
      health_p99_ratio_to_idle: round(percentile(healthLatency, 99) / percentile(healthIdle, 99), 1),
      empty_server_idle_p99_ms: round(percentile(emptyIdle, 99), 2),
      empty_server_p50_ms: round(percentile(emptyLatency, 50)),
      empty_server_p99_ms: round(percentile(emptyLatency, 99)),
      empty_server_p99_ratio_to_idle: round(percentile(emptyLatency, 99) / percentile(emptyIdle, 99), 1),
      samples: listLatency.length,
    }
  } finally {
    await empty.kill()
    await server.kill('SIGTERM')
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchConcurrency(), null, 2))
  process.exit(0)
}
