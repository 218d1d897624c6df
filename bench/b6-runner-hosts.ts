import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { startBunqueueServer } from '../tests/support/bunqueue-server'
import { makeRepo } from '../tests/support/git-repo'
import { type RunnerHostProcess, spawnRunnerHost } from '../tests/support/runner-host-process'
import { api, type ServerProcess, spawnServer } from '../tests/support/server-process'
import { tempDir, waitFor } from '../tests/support/temp'
import { settled, timeToFirstStdout } from './lib/dispatch'
import { cpuSeconds, peakMemoryMiB, percentile, residentMiB, round } from './lib/measure'

/**
 * B6: runs on two runner hosts against the same runs on the control plane itself, in one bench
 * run, with every part a real process (control plane, bunqueue server, two hosts).
 *
 * Dispatch latency: POST start → the run's first stdout event on the task's SSE stream, served by
 * the control plane (for a remote run: queued on the broker, taken and claimed by a host, its base
 * fetched into the host's cache, checked out, run under the same containment, the line spooled and
 * sent over the runner protocol, stored and published). Both run `echo hi` in a worktree of the
 * same repository: a local run gets a git worktree, a remote one a checkout on its host.
 *
 * Event throughput: one task printing LINES lines of 100 bytes; its stdout events stored on the
 * control plane per second (count / (newest − oldest stored created_at)), the same for the same
 * task run locally; the ratio is remote / local, of the medians of three alternated pairs.
 *
 * Control-plane RSS: VmRSS when idle (hosts registered, nothing run yet) and its peak (VmHWM) at
 * the end, sampled (VmRSS) through the runs too.
 */
const LINES = 200_000
const COMMAND = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "%07d %092s\\n", i, "x" }'`
const LABEL = 'bench'
const INGEST_ROUNDS = 3

/** The run with the median rate. */
const median = <T extends { events_per_second: number }>(runs: T[]): T =>
  [...runs].sort((a, b) => a.events_per_second - b.events_per_second)[Math.floor(runs.length / 2)] as T

const stats = (values: number[]) => ({
  p50: round(percentile(values, 50)),
  p99: round(percentile(values, 99)),
})

async function startHost(server: ServerProcess, root: string, queueUrl: string, name: string) {
  const created = await api(server, 'POST', '/runner-hosts', { name, labels: [LABEL] })
  if (created.status !== 201) throw new Error(`host not created: ${JSON.stringify(created.body)}`)
  return spawnRunnerHost({
    name,
    root,
    controlUrl: server.url,
    token: created.body.token,
    queueUrl,
    labels: [LABEL],
    slots: 2,
  })
}

/** Stdout events of one task stored on the control plane, per second of the span they were stored in. */
async function throughput(
  server: ServerProcess,
  dbPath: string,
  repo: string,
  hosts: RunnerHostProcess[] | null,
) {
  const remote = hosts !== null
  const cpu = () =>
    [server.proc.pid, ...(hosts ?? []).map((host) => host.proc.pid)].map((pid) => cpuSeconds(pid) ?? 0)
  const before = cpu()
  const created = await api(server, 'POST', '/tasks', {
    title: `throughput ${remote ? 'remote' : 'local'}`,
    prompt: '',
    runner: 'shell',
    command: COMMAND,
    workspace: repo,
    runner_labels: remote ? [LABEL] : [],
  })
  const id = created.body.id
  await api(server, 'POST', `/tasks/${id}/start`)
  const status = await settled(server, id, 600_000)
  const used = cpu().map((after, at) => round(after - (before[at] ?? 0), 2))
  const db = new Database(dbPath, { readonly: true })
  const span = db
    .query<{ n: number; first: string; last: string }, [string]>(
      "SELECT COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last FROM events WHERE task_id = ? AND kind = 'stdout'",
    )
    .get(id)
  db.close()
  const seconds = (Date.parse(span?.last ?? '') - Date.parse(span?.first ?? '')) / 1000
  if (status !== 'completed' || span?.n !== LINES)
    throw new Error(`throughput task ${id} ended ${status} with ${span?.n} of ${LINES} lines stored`)
  // Where the work went: the control plane's CPU seconds, and the hosts' (one of them ran it).
  return {
    seconds: round(seconds, 2),
    events_per_second: Math.round(LINES / seconds),
    control_plane_cpu_seconds: used[0],
    ...(remote ? { hosts_cpu_seconds: used.slice(1) } : {}),
  }
}

export async function benchRunnerHosts(tasks = 50) {
  const dir = tempDir('openruntime-bench-')
  const repo = makeRepo(join(dir.path, 'repo'))
  const dbPath = join(dir.path, 'control', 'db.sqlite3')
  const broker = await startBunqueueServer({
    token: 'bench-broker-token',
    dataPath: join(dir.path, 'broker.db'),
  })
  const hosts: RunnerHostProcess[] = []
  let server: ServerProcess | null = null
  try {
    server = await spawnServer({ OPENRUNTIME_DB: dbPath, OPENRUNTIME_QUEUE_URL: broker.url })
    const control = server
    for (const name of ['host-1', 'host-2']) hosts.push(await startHost(control, dir.path, broker.url, name))
    await waitFor(
      'both runner hosts online',
      async () => {
        const list = (await api(control, 'GET', '/runner-hosts')).body as { status: string }[]
        return list.filter((host) => host.status === 'online').length === hosts.length
      },
      30_000,
    )
    const idleMiB = residentMiB(control.proc.pid)
    let sampledMiB = idleMiB ?? 0
    const sampler = setInterval(() => {
      sampledMiB = Math.max(sampledMiB, residentMiB(control.proc.pid) ?? 0)
    }, 50)
    try {
      const local: number[] = []
      const remote: number[] = []
      const echo = (labels: string[]) => ({
        title: 'echo',
        command: 'echo hi',
        workspace: repo,
        runner_labels: labels,
      })
      // One warm-up each (the host's first fetch of the repository into its cache, the first worktree).
      await timeToFirstStdout(control, echo([]))
      await timeToFirstStdout(control, echo([LABEL]))
      for (let i = 0; i < tasks; i++) {
        local.push(await timeToFirstStdout(control, echo([])))
        remote.push(await timeToFirstStdout(control, echo([LABEL])))
      }
      // Alternated, and the median of each kept: one pair alone moves with whatever else the machine runs.
      const localRuns = []
      const remoteRuns = []
      for (let round = 0; round < INGEST_ROUNDS; round++) {
        localRuns.push(await throughput(control, dbPath, repo, null))
        remoteRuns.push(await throughput(control, dbPath, repo, hosts))
      }
      const localIngest = median(localRuns)
      const remoteIngest = median(remoteRuns)
      return {
        tasks,
        local_dispatch_ms: stats(local),
        remote_dispatch_ms: stats(remote),
        remote_minus_local_p50_ms: round(percentile(remote, 50) - percentile(local, 50)),
        lines: LINES,
        local_ingest: localIngest,
        remote_ingest: remoteIngest,
        throughput_ratio: round(remoteIngest.events_per_second / localIngest.events_per_second, 2),
        control_plane_rss_mib: {
          idle: idleMiB,
          peak_sampled: sampledMiB,
          peak: peakMemoryMiB(control.proc.pid),
        },
      }
    } finally {
      clearInterval(sampler)
    }
  } finally {
    for (const host of hosts) await host.kill('SIGTERM')
    await server?.kill('SIGTERM')
    await broker.stop()
    dir.cleanup()
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchRunnerHosts(Number(process.argv[2] ?? 50)), null, 2))
  process.exit(0)
}
