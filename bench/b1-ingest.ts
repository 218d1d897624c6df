import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { openDatabase } from '../src/storage/database'
import { migrate } from '../src/storage/migrate'
import { makeRepo } from '../tests/support/git-repo'
import { api, spawnServer } from '../tests/support/server-process'
import { tempDir, waitFor } from '../tests/support/temp'
import { probeHealth } from './lib/health-probe'
import { peakMemoryMiB, percentile, round } from './lib/measure'
import { serverProfiling } from './lib/profiling'
import { insertRawTask, rawEventInsert } from './lib/raw-rows'

const LINES = 1_000_000
// 100 bytes per line: a 7-digit counter and padding, as `awk` prints them.
const COMMAND = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "%07d %092s\\n", i, "x" }'`

/** The machine's own limit: the same rows inserted straight into the same schema, batched. */
function rawInsert(dir: string): { seconds: number; peakMiB: number | null } {
  const db = openDatabase(join(dir, 'raw.sqlite3'))
  migrate(db)
  insertRawTask(db, 't', '', '/')
  const insert = rawEventInsert(db)
  // Rows are built before the clock starts: the baseline is SQLite's insert rate alone.
  const lines = Array.from(
    { length: LINES + 1 },
    (_, i) => `${String(i).padStart(7, '0')} ${'x'.padStart(92, ' ')}`,
  )
  const at = new Date().toISOString()
  const started = performance.now()
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run('t', i, 'a', 'stdout', lines[i] as string, null, at)
  })
  for (let i = 1; i <= LINES; i += 5000) batch(i, Math.min(LINES + 1, i + 5000))
  const seconds = (performance.now() - started) / 1000
  db.close()
  return { seconds, peakMiB: peakMemoryMiB(process.pid) }
}

export async function benchIngest() {
  const dir = tempDir('openruntime-bench-')
  try {
    const raw = rawInsert(dir.path)
    const repo = makeRepo(join(dir.path, 'repo'))
    const server = await spawnServer({
      OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3'),
      ...serverProfiling(),
    })
    try {
      const created = await api(server, 'POST', '/tasks', {
        title: 'ingest',
        prompt: '',
        runner: 'shell',
        command: COMMAND,
        workspace: repo,
        // 100 MB of output, past the default cap of 64 MB.
        policy: { max_output_mb: 200 },
      })
      const id = created.body.id
      await api(server, 'POST', `/tasks/${id}/start`)
      const task = await waitFor(
        'ingest to finish',
        async () => {
          const t = (await api(server, 'GET', `/tasks/${id}?events=none`)).body
          return t.status === 'completed' ? t : null
        },
        600_000,
      )
      const db = new Database(join(dir.path, 'data', 'db.sqlite3'), { readonly: true })
      const span = db
        .query<{ n: number; first: string; last: string }, [string]>(
          "SELECT COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last FROM events WHERE task_id = ? AND kind = 'stdout'",
        )
        .get(id)
      db.close()
      const seconds = (Date.parse(span?.last ?? '') - Date.parse(span?.first ?? '')) / 1000
      return {
        lines: span?.n ?? 0,
        seconds: round(seconds, 2),
        lines_per_second: Math.round((span?.n ?? 0) / seconds),
        runtime_seconds: round(task.cost_ledger.runtime_millis / 1000, 2),
        server_peak_mib: peakMemoryMiB(server.proc.pid),
        raw_seconds: round(raw.seconds, 2),
        raw_lines_per_second: Math.round(LINES / raw.seconds),
        ratio_to_raw: round(raw.seconds / seconds, 2),
      }
    } finally {
      await server.kill('SIGTERM')
    }
  } finally {
    dir.cleanup()
  }
}

const LONG_LINE_BYTES = 50 * 1024 * 1024
// One line without a newline, a secret's name every 18 characters: the stream redactor and the
// line splitter see the worst of it.
const LONG_LINE_COMMAND = `yes 'password: hunter2' | head -c ${LONG_LINE_BYTES} | tr '\\n' ' '`

const spread = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p99: round(percentile(values, 99)),
  max: round(Math.max(...values)),
})

/** /health answered while one 50 MB line streams in, beside /health with nothing running. */
export async function benchLongLine() {
  const dir = tempDir('openruntime-bench-')
  try {
    const repo = makeRepo(join(dir.path, 'repo'))
    const server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3') })
    try {
      const idle = await probeHealth(server.url, server.auth, 200).latencies
      const created = await api(server, 'POST', '/tasks', {
        title: 'one long line',
        prompt: '',
        runner: 'shell',
        command: LONG_LINE_COMMAND,
        workspace: repo,
        policy: { max_output_mb: 100 },
      })
      const id = created.body.id
      const started = performance.now()
      await api(server, 'POST', `/tasks/${id}/start`)
      const probe = probeHealth(server.url, server.auth)
      await waitFor(
        'the long line to be stored',
        async () => {
          const status = (await api(server, 'GET', `/tasks/${id}?events=none`)).body.status
          return status !== 'running' && status !== 'queued'
        },
        600_000,
      )
      probe.stop()
      const during = await probe.latencies
      return {
        line_mib: LONG_LINE_BYTES / 1024 / 1024,
        seconds: round((performance.now() - started) / 1000, 2),
        health_during_ms: spread(during),
        health_idle_ms: spread(idle),
        server_peak_mib: peakMemoryMiB(server.proc.pid),
      }
    } finally {
      await server.kill('SIGTERM')
    }
  } finally {
    dir.cleanup()
  }
}

if (import.meta.main) {
  const figures = process.argv.includes('long-line') ? await benchLongLine() : await benchIngest()
  console.log(JSON.stringify(figures, null, 2))
  process.exit(0)
}
