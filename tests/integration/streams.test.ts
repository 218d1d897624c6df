import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { EventBus } from '../../src/events/event-bus'
import { EventLog } from '../../src/events/event-log'
import { taskEventStream } from '../../src/events/task-stream'
import { makeRepo } from '../support/git-repo'
import { api, runShell, type ServerProcess, spawnServer } from '../support/server-process'
import { readSse } from '../support/sse'
import { tempDir, waitFor } from '../support/temp'

const dir = tempDir()
let server: ServerProcess
let repo: string
beforeAll(async () => {
  server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3') })
  repo = makeRepo(join(dir.path, 'repo'))
})
afterAll(async () => {
  await server?.kill('SIGTERM')
  dir.cleanup()
})

describe('task stream', () => {
  test('cleanup and restore reach a live subscriber as they happen, not only the stored timeline', async () => {
    const id = await runShell(server, repo, 'echo work > work.txt')
    const last = (await api(server, 'GET', `/tasks/${id}?events=1`)).body.last_seq
    const live = await fetch(`${server.url}/tasks/${id}/stream`, {
      headers: { ...server.auth, 'Last-Event-ID': String(last) },
    })
    const seen: string[] = []
    const reading = (async () => {
      for await (const frame of readSse(live)) {
        if (frame.event !== 'message') continue
        seen.push(frame.data.metadata?.category)
        if (frame.data.metadata?.category === 'worktree-restored') return
      }
    })()
    expect((await api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`)).status).toBe(200)
    expect((await api(server, 'POST', `/tasks/${id}/worktree/restore`)).status).toBe(200)
    await reading
    // Each operation enters its intent state, then records its outcome: both reach the subscriber.
    expect(seen).toEqual(['cleanup-started', 'worktree-cleaned', 'restore-started', 'worktree-restored'])
  })

  test('a client that reconnects with Last-Event-ID while the task streams misses nothing and gets nothing twice', async () => {
    const total = 4000
    const created = await api(server, 'POST', '/tasks', {
      title: 'streamer',
      prompt: '',
      runner: 'shell',
      command: `i=0; while [ $i -lt ${total} ]; do i=$((i+1)); echo "line $i"; if [ $((i % 200)) -eq 0 ]; then sleep 0.05; fi; done`,
      workspace: repo,
    })
    const id = created.body.id
    await api(server, 'POST', `/tasks/${id}/start`)

    const received: { seq: number; message: string; kind: string }[] = []
    let lastId = ''
    // First connection: read part of the live stream, then drop it.
    const abort = new AbortController()
    const first = await fetch(`${server.url}/tasks/${id}/stream`, {
      headers: server.auth,
      signal: abort.signal,
    })
    expect(first.headers.get('content-type')).toContain('text/event-stream')
    for await (const frame of readSse(first)) {
      if (frame.event !== 'message') continue
      received.push(frame.data)
      lastId = frame.id ?? ''
      if (received.filter((e) => e.kind === 'stdout').length >= 1000) break
    }
    abort.abort()
    expect(Number(lastId)).toBe(received.at(-1)?.seq as number)

    // Reconnect from where we were, and read until the run is over.
    const second = await fetch(`${server.url}/tasks/${id}/stream`, {
      headers: { ...server.auth, 'Last-Event-ID': lastId },
    })
    for await (const frame of readSse(second)) {
      if (
        frame.event === 'status' &&
        ['completed', 'ready-for-review', 'failed'].includes(frame.data.status)
      ) {
        if (received.some((e) => e.message.startsWith('Shell runner completed'))) break
      }
      if (frame.event !== 'message') continue
      received.push(frame.data)
      if (frame.data.message.startsWith('Shell runner completed')) break
    }

    const seqs = received.map((e) => e.seq)
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] as number) + i))
    const lines = received.filter((e) => e.kind === 'stdout').map((e) => e.message)
    expect(lines).toEqual(Array.from({ length: total }, (_, i) => `line ${i + 1}`))
    const stored = (await api(server, 'GET', `/tasks/${id}/events?after=0&limit=10000`)).body
    expect(stored.slice(0, received.length).map((e: any) => e.seq)).toEqual(seqs)
  })

  test('the status stream carries every task change', async () => {
    const response = await fetch(`${server.url}/events/stream`, { headers: server.auth })
    const created = await api(server, 'POST', '/tasks', {
      title: 's',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
    })
    const id = created.body.id
    const changes: string[] = []
    const reading = (async () => {
      for await (const frame of readSse(response)) {
        if (frame.event === 'status' && frame.data.task_id === id) changes.push(frame.data.status)
        if (changes.includes('completed')) return
      }
    })()
    await api(server, 'POST', `/tasks/${id}/start`)
    await reading
    expect(changes).toEqual(['queued', 'running', 'completed'])
  })

  test('a bad Last-Event-ID is a 400, an unknown task a 404', async () => {
    const created = await api(server, 'POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
    })
    const bad = await fetch(`${server.url}/tasks/${created.body.id}/stream`, {
      headers: { ...server.auth, 'Last-Event-ID': 'abc' },
    })
    expect(bad.status).toBe(400)
    expect((await bad.json()).error.code).toBe('invalid_request')
    const missing = await fetch(`${server.url}/tasks/00000000-0000-4000-8000-000000000000/stream`, {
      headers: server.auth,
    })
    expect(missing.status).toBe(404)
  })
})

test('a client that stops reading is disconnected once its buffer is full; ingestion is not slowed', async () => {
  const { Store } = await import('../../src/storage/store')
  const local = tempDir()
  const store = Store.open(join(local.path, 'db.sqlite3'))
  try {
    const bus = new EventBus()
    const log = new EventLog(store, bus, { flushMs: 1 })
    store.db.exec(`INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
      VALUES ('t', 't', '', 'shell', '', '/', 'running', 15, '{}', '{}', '{}', '', '')`)
    const stream = taskEventStream(store, bus, 't', { after: 0, maxBufferedBytes: 64 * 1024 })
    const reader = stream.getReader()
    await reader.read() // the ready frame; from now on the client reads nothing
    await Bun.sleep(5)
    for (let i = 0; i < 20_000; i++)
      log.append('t', { kind: 'stdout', message: `line ${i} ${'x'.repeat(50)}` })
    log.flush()
    expect(store.events.count('t')).toBe(20_000)
    let text = ''
    const decoder = new TextDecoder()
    while (true) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value)
    }
    expect(text).toContain('event: overflow')
    await waitFor('unsubscribed', () => !bus.hasTaskListeners('t'))
  } finally {
    store.close()
    local.cleanup()
  }
})
