import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { groupAlive, processLiving } from '../../src/process/process-group'
import { makeRepo } from '../support/git-repo'
import { processesMentioning } from '../support/processes'
import { api, type ServerProcess, serverRefusal, spawnServer } from '../support/server-process'
import { readSse } from '../support/sse'
import { tempDir, waitFor } from '../support/temp'

const dir = tempDir()
afterAll(() => dir.cleanup())

const STREAMERS = 10
/** Stdout lines every client must have seen of every run before the server is killed. */
const SEEN_BEFORE_KILL = 30

interface SeenEvent {
  id: string
  seq: number
  attempt_id: string | null
  kind: string
  message: string
  metadata: unknown
  created_at: string
}

/** Every stored event of a task, paged in seq order. */
async function storedEvents(server: ServerProcess, id: string): Promise<SeenEvent[]> {
  const all: SeenEvent[] = []
  while (true) {
    const page = await api<SeenEvent[]>(
      server,
      'GET',
      `/tasks/${id}/events?after=${all.at(-1)?.seq ?? 0}&limit=1000`,
    )
    expect(page.status).toBe(200)
    all.push(...page.body)
    if (page.body.length < 1000) return all
  }
}

/** The process group of a pid, from /proc/<pid>/stat (field 5). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
}

const expectContiguousFromOne = (seqs: number[]) =>
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))

test('SIGKILL of the server while 10 runs stream: every acknowledged event kept, runs stopped and killed, queued one runs, one server per data dir', async () => {
  const env = {
    OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3'),
    // Every streamer runs at once; the extra task waits for a slot.
    OPENRUNTIME_MAX_PARALLEL: String(STREAMERS),
    OPENRUNTIME_STOP_GRACE_MS: '500',
  }
  const repo = makeRepo(join(dir.path, 'repo'))
  // Names this test's runner processes in /proc, so a leftover one is found whatever its pid.
  const token = `crash-${crypto.randomUUID()}`
  const first = await spawnServer(env)
  const leaderFile = (i: number) => join(dir.path, `leader-${i}`)
  const childFile = (i: number) => join(dir.path, `child-${i}`)
  const ids: string[] = []
  // Runs that print continuously and leave a grandchild behind, then one that waits in the queue.
  // They run with full access, outside the sandbox: a sandboxed run dies with the server
  // (bubblewrap's --die-with-parent), so only unsandboxed groups can be orphaned.
  for (let i = 0; i < STREAMERS; i++) {
    const command = `: ${token}; echo $$ > ${leaderFile(i)}; sleep 1000 & echo $! > ${childFile(i)}; n=0; while true; do n=$((n+1)); echo "s${i} tick $n"; sleep 0.01; done`
    const created = await api(first, 'POST', '/tasks', {
      title: `streamer ${i}`,
      prompt: '',
      runner: 'shell',
      command,
      workspace: repo,
      policy: { network_mode: 'enabled', allow_git_write: true, allow_secrets: true, blocked_commands: [] },
    })
    expect(created.status).toBe(200)
    ids.push(created.body.id)
  }
  const queuedTask = await api(first, 'POST', '/tasks', {
    title: 'queued',
    prompt: '',
    runner: 'shell',
    command: 'echo ran after restart',
    workspace: repo,
  })
  for (const id of ids) expect((await api(first, 'POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor('all streamers to run', async () => {
    const statuses = await Promise.all(
      ids.map(async (id) => (await api(first, 'GET', `/tasks/${id}?events=none`)).body.status),
    )
    return statuses.every((status) => status === 'running')
  })
  expect((await api(first, 'POST', `/tasks/${queuedTask.body.id}/start`)).status).toBe(200)

  // Two clients per task read until the server dies: one follows the SSE stream, one polls
  // GET /tasks/{id}/events. Whatever either has read is "acknowledged".
  const viaStream: SeenEvent[][] = ids.map(() => [])
  const viaPolling: SeenEvent[][] = ids.map(() => [])
  let clientsEnded = 0
  let misnumberedFrames = 0
  const streamReaders = ids.map(async (id, i) => {
    try {
      const response = await fetch(`${first.url}/tasks/${id}/stream`, { headers: first.auth })
      for await (const frame of readSse(response)) {
        if (frame.event !== 'message') continue
        viaStream[i]?.push(frame.data)
        if (Number(frame.id) !== frame.data.seq) misnumberedFrames++
      }
    } catch {
      // The server was killed under the stream.
    } finally {
      clientsEnded++
    }
  })
  const pollers = ids.map(async (id, i) => {
    const seen = viaPolling[i] as SeenEvent[]
    try {
      while (true) {
        const response = await fetch(
          `${first.url}/tasks/${id}/events?after=${seen.at(-1)?.seq ?? 0}&limit=1000`,
          { headers: first.auth },
        )
        if (response.status !== 200) return
        seen.push(...((await response.json()) as SeenEvent[]))
        await Bun.sleep(5)
      }
    } catch {
      // The server was killed between or during requests.
    } finally {
      clientsEnded++
    }
  })

  const stdoutCount = (events: SeenEvent[]) => events.filter((e) => e.kind === 'stdout').length
  await waitFor('every client to see every run stream', () =>
    [...viaStream, ...viaPolling].every((events) => stdoutCount(events) >= SEEN_BEFORE_KILL),
  )
  const running = await Promise.all(
    ids.map(async (id) => (await api(first, 'GET', `/tasks/${id}?events=none`)).body),
  )
  for (const task of running) {
    expect(task.status).toBe('running')
    expect(task.attempts.length).toBe(1)
    expect(task.current_attempt.sandboxed).toBe(false)
  }
  expect((await api(first, 'GET', `/tasks/${queuedTask.body.id}?events=none`)).body.status).toBe('queued')
  const leaders = ids.map((_, i) => Number(readFileSync(leaderFile(i), 'utf8')))
  const grandchildren = ids.map((_, i) => Number(readFileSync(childFile(i), 'utf8')))
  const groups = leaders.map(processGroupOf)
  for (const pid of [...leaders, ...grandchildren]) expect(processLiving(pid)).toBe(true)
  expect(processesMentioning(token).length).toBeGreaterThanOrEqual(STREAMERS)

  // Every client is still attached and reading when the server dies.
  expect(clientsEnded).toBe(0)
  await first.kill('SIGKILL')
  // The clients notice the dead connection; nothing they read later can come from the first server.
  await waitFor('the clients of the killed server to end', () => clientsEnded === 2 * STREAMERS)
  await Promise.all([...streamReaders, ...pollers])
  // Each SSE frame carried its event's seq as its id (what a reconnecting client resumes from).
  expect(misnumberedFrames).toBe(0)

  const second = await spawnServer(env)
  try {
    for (const [i, id] of ids.entries()) {
      const task = (await api(second, 'GET', `/tasks/${id}?events=none`)).body
      const stored = await storedEvents(second, id)

      // The timeline is whole: seqs 1..n with no gap, and the task's counters agree.
      expectContiguousFromOne(stored.map((e) => e.seq))
      expect(task.last_seq).toBe(stored.length)
      expect(task.event_count).toBe(stored.length)

      // Each client read a gap-free prefix, and every event it read is stored unchanged (same id,
      // seq, text, metadata and time).
      const bySeq = new Map(stored.map((e) => [e.seq, e]))
      for (const seen of [viaStream[i] as SeenEvent[], viaPolling[i] as SeenEvent[]]) {
        expectContiguousFromOne(seen.map((e) => e.seq))
        for (const event of seen) expect(bySeq.get(event.seq)).toEqual(event)
      }

      // The output kept is a prefix of what the run printed: no line lost or repeated in between.
      const ticks = stored.filter((e) => e.kind === 'stdout').map((e) => e.message)
      expect(ticks.length).toBeGreaterThanOrEqual(SEEN_BEFORE_KILL)
      expect(ticks).toEqual(Array.from({ length: ticks.length }, (_, n) => `s${i} tick ${n + 1}`))

      // Consistent status: the run is stopped, its only attempt finished, the restart is the last word.
      expect(task.status).toBe('stopped')
      expect(task.state).toBe('stopped')
      expect(task.attempts.length).toBe(1)
      const attempt = task.current_attempt
      expect(attempt.id).toBe(running[i].current_attempt.id)
      expect(attempt.status).toBe('stopped')
      expect(attempt.finished_at).toBeString()
      expect(attempt.summary).toContain('restarted')
      const last = (await api(second, 'GET', `/tasks/${id}?events=1`)).body.events[0]
      expect(last.seq).toBe(stored.length)
      expect(last.kind).toBe('lifecycle')
      expect(last.message).toContain('restarted')
      expect(last.attempt_id).toBe(attempt.id)
      expect(last.metadata).toMatchObject({
        category: 'attempt-stopped',
        reason: 'server-restarted',
        attempt_id: attempt.id,
        status: 'stopped',
        from: 'running',
      })
    }

    // No runner process is left: not the leaders, not what they started, nothing in their groups.
    for (const pid of [...leaders, ...grandchildren]) expect(processLiving(pid)).toBe(false)
    for (const pgid of groups) expect(await groupAlive(pgid)).toBe(false)
    expect(processesMentioning(token)).toEqual([])

    const ran = await waitFor('the queued task to run after the restart', async () => {
      const task = (await api(second, 'GET', `/tasks/${queuedTask.body.id}?events=all`)).body
      return task.status === 'completed' ? task : null
    })
    expect(ran.events.some((e: any) => e.kind === 'stdout' && e.message === 'ran after restart')).toBe(true)
    expect(ran.attempts.length).toBe(1)

    const refusal = await serverRefusal(env)
    expect(refusal.code).toBe(1)
    expect(refusal.output).toContain('already using this data directory')
    expect((await api(second, 'GET', '/health')).status).toBe(200)
  } finally {
    await second.kill('SIGTERM')
  }
}, 60_000)
