import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { AppError } from '../../src/errors'
import { jobIdOf } from '../../src/queue/jobs'
import { type RemoteRunJob, RemoteRunQueue } from '../../src/queue/remote-queue'
import { type BunqueueServer, restartBunqueueServer, startBunqueueServer } from '../support/bunqueue-server'
import { type PostgresCluster, startPostgres } from '../support/postgres'
import { tempDir, waitFor } from '../support/temp'

const ROOT = join(import.meta.dir, '..', '..')
const temp = tempDir('openruntime-broker-')
const token = () => Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')
const servers: BunqueueServer[] = []
const workers: Subprocess[] = []
const queues: RemoteRunQueue[] = []
let postgres: PostgresCluster | null = null

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGKILL')
  for (const queue of queues) await queue.close().catch(() => {})
  for (const server of servers) if (server.proc.exitCode === null) await server.kill()
  await postgres?.stop()
  temp.cleanup()
})

async function server(options: Parameters<typeof startBunqueueServer>[0]) {
  const started = await startBunqueueServer(options)
  servers.push(started)
  return started
}

function remoteQueue(connection: BunqueueServer['connection']) {
  const queue = new RemoteRunQueue(connection)
  queues.push(queue)
  return queue
}

/** A runner host's queue side in its own Bun process (tests/support/remote-worker-process.ts). */
async function spawnWorker(broker: BunqueueServer, env: Record<string, string>) {
  const proc = Bun.spawn([process.execPath, join(ROOT, 'tests', 'support', 'remote-worker-process.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OPENRUNTIME_QUEUE_URL: broker.url, ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  workers.push(proc)
  const reader = proc.stdout.getReader()
  const { value } = await reader.read()
  expect(new TextDecoder().decode(value)).toContain('worker ready')
  return proc
}

/** The `<job id> <host>` lines the workers appended. */
const runs = (file: string) =>
  (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, host] = line.split(' ')
      return { id: id as string, host: host as string }
    })

const claimsDir = (name: string) => {
  const path = join(temp.path, `${name}-claims`)
  mkdirSync(path)
  return path
}

const shellJob = (taskId: string, labels: string[] = []): RemoteRunJob => ({
  taskId,
  run: 1,
  runner: 'shell',
  labels,
})

describe('bunqueue server with an auth token on loopback', () => {
  test('a job added by the control plane is taken and completed by a worker in another process, by placement', async () => {
    const broker = await server({ token: token(), dataPath: join(temp.path, 'a.db') })
    const file = join(temp.path, 'a-runs.txt')
    const queue = remoteQueue(broker.connection)
    // Recorded first, so the worker's directory read that finds the others finds it too.
    const gpu = shellJob('task-gpu', ['gpu'])
    await queue.enqueue(gpu)
    const plain = shellJob('task-plain')
    const linux = shellJob('task-linux', ['os=linux'])
    const codex: RemoteRunJob = { ...shellJob('task-codex'), runner: 'codex' }
    for (const job of [plain, linux, codex]) await queue.enqueue(job)

    await spawnWorker(broker, {
      HOST_NAME: 'h1',
      SLOTS: '2',
      RUNNERS: 'shell',
      LABELS: 'os=linux,zone/eu',
      RUNS_FILE: file,
      CLAIMS_DIR: claimsDir('a'),
    })
    await waitFor('the two jobs the host serves to run', () => runs(file).length === 2)
    expect(
      runs(file)
        .map((run) => run.id)
        .sort(),
    ).toEqual([jobIdOf(linux), jobIdOf(plain)])
    await waitFor(
      'the broker to record both as taken',
      async () => (await queue.state(linux)) === 'completed',
    )
    expect(await queue.state(plain)).toBe('completed')
    // The host has neither the label nor the runner: those wait for a host that has.
    expect(await queue.state(gpu)).toBe('waiting')
    expect(await queue.state(codex)).toBe('waiting')

    // Enqueueing a run the broker already handed out adds nothing.
    await queue.enqueue(plain)
    expect(await queue.state(plain)).toBe('completed')
  }, 30_000)

  test('a wrong token is refused: the client sees only a lost connection, and nothing is added', async () => {
    const broker = await server({ token: token(), dataPath: join(temp.path, 'b.db') })
    const intruder = remoteQueue({ ...broker.connection, token: 'not-the-token' })
    const job = shellJob('task-intruder')
    const refusal = await intruder.enqueue(job).then(
      () => null,
      (error: unknown) => error,
    )
    expect(refusal).toBeInstanceOf(AppError)
    expect((refusal as AppError).code).toBe('queue_unreachable')
    expect((refusal as AppError).message).toContain('Connection lost')
    expect((refusal as AppError).message).not.toContain('not-the-token')
    expect(await remoteQueue(broker.connection).state(job)).toBe('unknown')
  }, 30_000)

  test("the queue's data survives a broker restart (SQLite), even after kill -9", async () => {
    const broker = await server({ token: token(), dataPath: join(temp.path, 'c.db') })
    const jobs = ['r1', 'r2', 'r3'].map((id) => shellJob(id))
    const before = remoteQueue(broker.connection)
    for (const job of jobs) await before.enqueue(job)
    await broker.kill()

    const again = await restartBunqueueServer(broker)
    servers.push(again)
    const after = remoteQueue(again.connection)
    for (const job of jobs) expect(await after.isPending(job)).toBe(true)
    const file = join(temp.path, 'c-runs.txt')
    await spawnWorker(again, {
      HOST_NAME: 'h',
      SLOTS: '3',
      RUNNERS: 'shell',
      RUNS_FILE: file,
      CLAIMS_DIR: claimsDir('c'),
    })
    await waitFor('the three jobs to run after the restart', () => runs(file).length === 3)
    expect(
      runs(file)
        .map((run) => run.id)
        .sort(),
    ).toEqual(jobs.map(jobIdOf).sort())
  }, 30_000)
})

describe('two brokers on one PostgreSQL', () => {
  // A broker killed while it holds claims: those its host never heard of are handed out again after
  // their lease, and a second delivery of a run already granted is dropped by the host's claim (see
  // remote-queue.ts), so every job runs, and only once.
  test('one broker killed mid-way: every one of 40 jobs runs exactly once', async () => {
    postgres = await startPostgres()
    const shared = { url: postgres.url, namespace: 'openruntime-test' }
    // A dead broker's claims are handed out again after their lease; short here so the test ends soon.
    const env = { BUNQUEUE_POSTGRES_LEASE_DURATION_MS: '2000' }
    const secret = token()
    const a = await server({ token: secret, postgres: { ...shared, brokerId: 'broker-a' }, env })
    const b = await server({ token: secret, postgres: { ...shared, brokerId: 'broker-b' }, env })
    const file = join(temp.path, 'pg-runs.txt')
    writeFileSync(file, '')

    const queue = remoteQueue(b.connection)
    const jobs = Array.from({ length: 40 }, (_, index) => shellJob(`task-${index}`))
    for (const job of jobs) await queue.enqueue(job)
    const claims = claimsDir('pg')
    const host = {
      SLOTS: '2',
      RUNNERS: 'shell',
      RUNS_FILE: file,
      CLAIMS_DIR: claims,
      HOLD_MS: '150',
      CLAIM_LEASE_MS: '2000',
    }
    await spawnWorker(a, { ...host, HOST_NAME: 'on-a' })
    await spawnWorker(b, { ...host, HOST_NAME: 'on-b' })

    await waitFor('a quarter of the jobs to run', () => runs(file).length >= 10, 30_000)
    await a.kill()
    const ranBeforeKill = runs(file).length
    expect(ranBeforeKill).toBeLessThan(40)

    await waitFor('every job to run', () => runs(file).length >= 40, 40_000)
    // Settled: no job left waiting or claimed anywhere (the dead broker's claims past their lease).
    await waitFor(
      'the broker to settle every job',
      async () => {
        for (const job of jobs) if (await queue.isPending(job)) return false
        return true
      },
      30_000,
    )
    const ran = runs(file)
    expect(ran.length).toBe(40)
    expect(new Set(ran.map((run) => run.id)).size).toBe(40)
    expect(new Set(ran.map((run) => run.id))).toEqual(new Set(jobs.map(jobIdOf)))
    // Both hosts ran jobs: the one on the dead broker before it died, the other the rest.
    expect(ran.some((run) => run.host === 'on-a')).toBe(true)
    expect(ran.slice(ranBeforeKill).some((run) => run.host === 'on-b')).toBe(true)
    // bunqueue's tables are in the shared database.
    expect(postgres.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'bunqueue_jobs'").trim()).toBe('1')
  }, 90_000)
})
