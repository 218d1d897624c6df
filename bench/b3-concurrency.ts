import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { api, spawnServer } from '../tests/support/server-process'
import { tempDir } from '../tests/support/temp'
import { startEmptyServer } from './lib/empty-server-process'
import { probeInTurn } from './lib/health-probe'
import { cpuSeconds, percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'
import { runRawStreams } from './lib/raw-streams'
import { taskPagePath as defaultTaskPage } from './lib/task-page'

const TASKS = 50
const LINES = 10_000
const COMMAND = `seq 1 ${LINES}`
const PARALLEL = 8

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
    OPENRUNTIME_MAX_PARALLEL: String(PARALLEL),
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
        command: COMMAND,
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
    const serverCpuAtStart = cpuSeconds(server.proc.pid) ?? Number.NaN
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
    const serverCpu = (cpuSeconds(server.proc.pid) ?? Number.NaN) - serverCpuAtStart
    healthUnderLoad.stop()
    const [healthLatency = [], emptyLatency = []] = await healthUnderLoad.latencies
    const totalSeconds = (performance.now() - started) / 1000
    // The machine's own limit for that work: the same runs streamed and stored straight, and the
    // same pages read as often, with no server around them, while the empty server is probed alone.
    const rawProbe = probeInTurn([{ url: empty.url, headers: {} }])
    const raw = await runRawStreams({
      dbPath: join(dir.path, 'raw.sqlite3'),
      workspace,
      dataDir: join(dir.path, 'data'),
      tasks: TASKS,
      command: COMMAND,
      parallel: PARALLEL,
      pageEveryMs: (totalSeconds * 1000) / listLatency.length,
    })
    rawProbe.stop()
    const [emptyUnderRaw = []] = await rawProbe.latencies
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
      server_cpu_seconds: round(serverCpu, 2),
      raw_seconds: round(raw.seconds, 2),
      raw_cpu_seconds: round(raw.cpuSeconds, 2),
      cpu_ratio_to_raw: round(serverCpu / raw.cpuSeconds, 2),
      raw_rows_stored: raw.rows,
      raw_page_reads: raw.pageReads,
      empty_server_raw_load_p50_ms: round(percentile(emptyUnderRaw, 50)),
      empty_server_raw_load_p99_ms: round(percentile(emptyUnderRaw, 99)),
      empty_server_raw_load_p99_ratio_to_idle: round(
        percentile(emptyUnderRaw, 99) / percentile(emptyIdle, 99),
        1,
      ),
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
