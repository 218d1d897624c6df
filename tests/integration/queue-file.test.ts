import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { assertQueueFileSound } from '../../src/queue/queue-file'
import { makeRepo } from '../support/git-repo'
import { api, type ServerProcess, serverRefusal, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

const dir = tempDir()
afterAll(() => dir.cleanup())

const taskState = async (server: ServerProcess, id: string) =>
  (await api<{ state: string; status: string }>(server, 'GET', `/tasks/${id}?events=none`)).body

/** Moves away exactly the files the refusal names, as it tells the user to. */
function followRecovery(output: string, queuePath: string): void {
  const moves = [...output.matchAll(/^ {2}mv '([^']+)' '([^']+)'$/gm)]
  expect(moves.map((move) => move[1])).toContain(queuePath)
  for (const [, from, to] of moves) renameSync(from as string, to as string)
  expect(existsSync(queuePath)).toBe(false)
}

function expectRefusal(refusal: { code: number; output: string }, queuePath: string, dbPath: string) {
  expect(refusal.code).not.toBe(0)
  expect(refusal.output).toContain(`the run queue ${queuePath} cannot be used: file is not a database`)
  expect(refusal.output).toContain(`the task database ${dbPath}, which is untouched`)
  expect(refusal.output).toContain('To recover, move the queue away and start again')
  expect(refusal.output).not.toContain('    at ')
}

const paths = (name: string) => {
  const dbPath = join(dir.path, name, 'openruntime.sqlite3')
  return { dbPath, queuePath: join(dir.path, name, 'openruntime.queue.sqlite3') }
}

test('a queue file of garbage stops start-up naming the file and the way out; taken, the server starts', async () => {
  const { dbPath, queuePath } = paths('garbage')
  mkdirSync(dirname(queuePath), { recursive: true })
  await Bun.write(queuePath, crypto.getRandomValues(new Uint8Array(8192)))
  const env = { OPENRUNTIME_DB: dbPath }
  const refusal = await serverRefusal(env)
  expectRefusal(refusal, queuePath, dbPath)
  followRecovery(refusal.output, queuePath)
  const server = await spawnServer(env)
  try {
    expect((await api(server, 'GET', '/health')).status).toBe(200)
  } finally {
    await server.kill('SIGTERM')
  }
})

test('a queue damaged while the server ran (file and log): refused, and after the way out no waiting task is lost', async () => {
  const { dbPath, queuePath } = paths('crashed')
  const env = { OPENRUNTIME_DB: dbPath, OPENRUNTIME_MAX_PARALLEL: '1', OPENRUNTIME_STOP_GRACE_MS: '500' }
  const first = await spawnServer(env)
  const create = async (command: string) => {
    const created = await api<{ id: string }>(first, 'POST', '/tasks', {
      title: command,
      prompt: '',
      runner: 'shell',
      command,
      workspace: makeRepo(join(dir.path, `repo-${crypto.randomUUID()}`)),
    })
    expect(created.status).toBe(200)
    expect((await api(first, 'POST', `/tasks/${created.body.id}/start`)).status).toBe(200)
    return created.body.id
  }
  // One run holds the only slot, so the second waits in the queue when the server dies.
  const running = await create('sleep 1000')
  await waitFor('the first run to start', async () => (await taskState(first, running)).status === 'running')
  const waiting = await create('echo ran-after-recovery')
  expect((await taskState(first, waiting)).state).toBe('queued.waiting')
  await first.kill('SIGKILL')
  // SQLite reads the newest pages from the write-ahead log, so the damage must reach it too.
  for (const path of [queuePath, `${queuePath}-wal`]) {
    expect(existsSync(path)).toBe(true)
    await Bun.write(path, crypto.getRandomValues(new Uint8Array(8192)))
  }

  const refusal = await serverRefusal(env)
  expectRefusal(refusal, queuePath, dbPath)
  followRecovery(refusal.output, queuePath)
  // Nothing is left that SQLite would replay into the new queue.
  expect(existsSync(`${queuePath}-wal`)).toBe(false)

  const second = await spawnServer(env)
  try {
    const done = await waitFor('the waiting task to run', async () => {
      const task = (await api<any>(second, 'GET', `/tasks/${waiting}?events=all`)).body
      return task.status === 'completed' ? task : null
    })
    const output = done.events
      .filter((event: any) => event.kind === 'stdout')
      .map((event: any) => event.message)
    expect(output).toEqual(['ran-after-recovery'])
    expect((await taskState(second, running)).status).toBe('stopped')
  } finally {
    await second.kill('SIGTERM')
  }
})

test('damage inside a queue file that SQLite still opens is found before the queue uses it', () => {
  const path = join(dir.path, 'damaged.queue.sqlite3')
  const db = new Database(path)
  db.exec('PRAGMA journal_mode = DELETE; CREATE TABLE jobs (id INTEGER PRIMARY KEY, data TEXT)')
  const insert = db.prepare('INSERT INTO jobs (data) VALUES (?)')
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`job ${i} ${'x'.repeat(100)}`)
  })()
  db.close()
  expect(() => assertQueueFileSound(path, '/data/tasks.sqlite3')).not.toThrow()
  // Overwrite pages in the middle of the table; the header and schema page stay intact.
  const fd = openSync(path, 'r+')
  writeSync(
    fd,
    crypto.getRandomValues(new Uint8Array(16_384)),
    0,
    16_384,
    Math.floor(statSync(path).size / 2),
  )
  closeSync(fd)
  expect(() => assertQueueFileSound(path, '/data/tasks.sqlite3')).toThrow(
    `the run queue ${path} cannot be used`,
  )
})
