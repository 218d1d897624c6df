import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { mountSmallDisk } from '../support/small-disk'
import { tempDir, waitFor } from '../support/temp'

// R5: the database lives on a real 64 MiB tmpfs; a ballast file leaves it almost full, a task's
// output fills the rest. Freeing the ballast stands for the user making room.
const DISK_BYTES = 64 * 1024 * 1024
const MARKER = 'openruntime-disk-filler'

const temp = tempDir('openruntime-full-')
const diskPath = join(temp.path, 'disk')
const disk = mountSmallDisk(diskPath, DISK_BYTES)
const dbPath = join(diskPath, 'data', 'openruntime.sqlite3')
const ballast = join(diskPath, 'ballast')
const workspace = join(temp.path, 'workspace')
let server: ServerProcess

beforeAll(async () => {
  mkdirSync(workspace)
  server = await spawnServer({ OPENRUNTIME_DB: dbPath })
})

afterAll(async () => {
  await server?.kill()
  disk.unmount()
  temp.cleanup()
})

const shellTask = async (title: string, command: string) => {
  const created = await api(server, 'POST', '/tasks', {
    title,
    prompt: '',
    runner: 'shell',
    command,
    workspace,
    // A plain folder, not a repository: the task runs in it directly.
    policy: { allow_in_place: true },
  })
  return created
}

/** Processes whose command line carries the marker: the filler and anything it started. */
function fillerProcesses(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(MARKER)
      } catch {
        return false
      }
    })
    .map(Number)
}

function fillWithBallast(leaveBytes: number): void {
  const fd = openSync(ballast, 'w')
  const block = Buffer.alloc(1024 * 1024, 1)
  try {
    while (disk.free() > leaveBytes + block.length) writeSync(fd, block)
  } finally {
    closeSync(fd)
  }
}

test('a full disk fails the streaming task cleanly, keeps the server serving reads, and loses or corrupts nothing', async () => {
  const done = await shellTask('stored before', 'for i in 1 2 3; do echo kept line $i; done')
  await api(server, 'POST', `/tasks/${done.body.id}/start`)
  await waitFor('the first task to complete', async () => {
    const task = await api(server, 'GET', `/tasks/${done.body.id}?events=none`)
    return task.body.status === 'completed'
  })
  const storedBefore = (await api(server, 'GET', `/tasks/${done.body.id}/events?limit=1000`)).body

  const filler = await shellTask('fills the disk', `yes '${MARKER} ${'x'.repeat(80)}'`)
  const fillerId: string = filler.body.id
  fillWithBallast(2 * 1024 * 1024)
  expect((await api(server, 'POST', `/tasks/${fillerId}/start`)).status).toBe(200)

  // The filler's output reaches the disk's limit: the server refuses new writes but keeps reading.
  let probes = 0
  const refused = await waitFor('writes to be refused', async () => {
    const attempt = await shellTask(`probe ${++probes}`, 'echo never')
    return attempt.status === 503 ? attempt : null
  })
  expect(refused.body.error.code).toBe('storage_unavailable')
  await waitFor('the filler process to be gone', () => fillerProcesses().length === 0)
  expect((await api(server, 'GET', '/health')).status).toBe(200)
  const during = await api(server, 'GET', '/tasks?events=none&limit=50')
  expect(during.status).toBe(200)
  expect(during.body.map((task: { title: string }) => task.title)).not.toContain(`probe ${probes}`)
  expect((await api(server, 'GET', `/tasks/${done.body.id}/events?limit=1000`)).body).toEqual(storedBefore)
  const page = await fetch(`${server.url}/tasks/${fillerId}/view`, { headers: server.auth })
  expect(page.status).toBe(200)

  // Room again: the held-back output and the failure are recorded, in order, and writes work.
  rmSync(ballast)
  const failed = await waitFor('the filler to be recorded as failed', async () => {
    const task = await api(server, 'GET', `/tasks/${fillerId}?events=none`)
    return task.body.status === 'failed' ? task.body : null
  }).catch(async (error) => {
    const task = (await api(server, 'GET', `/tasks/${fillerId}?events=3`)).body
    throw new Error(
      `${error.message}: the task is ${task.status} (${JSON.stringify(task.events.map((event: { message: string }) => event.message.slice(0, 120)))}); the server said:\n${server.output().slice(-4000)}`,
    )
  })
  expect(failed.attempts.at(-1)).toMatchObject({ status: 'failed', exit_status: 'signal: SIGTERM' })
  expect(failed.attempts.at(-1).summary).toContain('database refused writes')
  const events: { seq: number; kind: string; message: string }[] = []
  for (let after = 0; ; ) {
    const page = (await api(server, 'GET', `/tasks/${fillerId}/events?after=${after}&limit=1000`)).body
    if (page.length === 0) break
    events.push(...page)
    after = page.at(-1).seq
  }
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1))
  expect(events.filter((event) => event.kind === 'stdout').length).toBeGreaterThan(1000)
  expect(events.find((event) => event.kind === 'error')?.message).toContain('database refused writes')
  expect(events.at(-1)?.kind).not.toBe('stdout')
  expect((await shellTask('after the outage', 'echo fine')).status).toBe(200)
  expect((await api(server, 'GET', `/tasks/${done.body.id}/events?limit=1000`)).body).toEqual(storedBefore)

  await server.kill('SIGTERM')
  const db = new Database(dbPath, { readonly: true })
  try {
    expect(db.query('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
  } finally {
    db.close()
  }
})
