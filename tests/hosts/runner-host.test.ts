import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { type BunqueueServer, startBunqueueServer } from '../support/bunqueue-server'
import { gitSync, makeRepo } from '../support/git-repo'
import { type RunnerHostProcess, spawnRunnerHost } from '../support/runner-host-process'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

const dir = tempDir()
const BROKER_TOKEN = 'broker-token-for-runner-host-tests'
let broker: BunqueueServer
let server: ServerProcess
const hosts: RunnerHostProcess[] = []

const dump = () =>
  [
    `--- control plane\n${server?.output()}`,
    ...hosts.map((host) => `--- ${host.name}\n${host.output()}`),
  ].join('\n')

async function task(id: string) {
  return (await api(server, 'GET', `/tasks/${id}`)).body
}

async function untilStatus(id: string, statuses: string[], timeoutMs = 60_000) {
  try {
    return await waitFor(
      `task ${id} to reach ${statuses.join(' or ')}`,
      async () => {
        const current = await task(id)
        return statuses.includes(current.status) ? current : null
      },
      timeoutMs,
    )
  } catch (error) {
    console.error(JSON.stringify(await task(id), null, 1), dump())
    throw error
  }
}

async function startHost(name: string, labels: string[]) {
  const created = await api(server, 'POST', '/runner-hosts', { name, labels })
  expect(created.status).toBe(201)
  const host = spawnRunnerHost({
    name,
    root: dir.path,
    controlUrl: server.url,
    token: created.body.token,
    queueUrl: broker.url,
    labels,
  })
  hosts.push(host)
  await waitFor(
    `runner host ${name} online`,
    async () => {
      const list = (await api(server, 'GET', '/runner-hosts')).body as { name: string; status: string }[]
      return list.find((entry) => entry.name === name)?.status === 'online'
    },
    30_000,
  )
  return host
}

beforeAll(async () => {
  broker = await startBunqueueServer({ token: BROKER_TOKEN, dataPath: join(dir.path, 'broker.db') })
  server = await spawnServer({
    OPENRUNTIME_DB: join(dir.path, 'control', 'db.sqlite3'),
    OPENRUNTIME_QUEUE_URL: broker.url,
    OPENRUNTIME_RUNNER_LEASE_MS: '3000',
  })
  await startHost('host-a', ['linux', 'a'])
  await startHost('host-b', ['linux', 'b'])
})

afterAll(async () => {
  for (const host of hosts) await host.kill()
  await server?.kill()
  await broker?.kill()
  dir.cleanup()
})

describe('runner hosts as real processes: a control plane, a bunqueue server, two hosts', () => {
  test('shell tasks placed by label run on both hosts, reach review with their diff, and merge on the control plane', async () => {
    const repo = makeRepo(join(dir.path, 'repo'))
    const ids: { id: string; label: string; file: string }[] = []
    for (const [index, label] of ['a', 'b', 'a', 'b'].entries()) {
      const file = `out-${index}.txt`
      const created = await api(server, 'POST', '/tasks', {
        title: `remote ${index}`,
        prompt: '',
        runner: 'shell',
        command: `echo "made on $(hostname) ${index}" && echo ${index} > ${file}`,
        workspace: repo,
        runner_labels: ['linux', label],
      })
      expect(created.status).toBe(200)
      expect((await api(server, 'POST', `/tasks/${created.body.id}/start`)).status).toBe(200)
      ids.push({ id: created.body.id, label, file })
    }
    for (const { id, label, file } of ids) {
      const done = await untilStatus(id, ['ready-for-review', 'failed'])
      const events = (await api(server, 'GET', `/tasks/${id}/events?limit=500`)).body as {
        kind: string
        message: string
        metadata: Record<string, unknown> | null
      }[]
      if (done.status !== 'ready-for-review')
        console.error(events.map((event) => event.message).join('\n'), dump())
      expect(done.status).toBe('ready-for-review')
      expect(events.some((event) => event.kind === 'stdout' && event.message.startsWith('made on'))).toBe(
        true,
      )
      expect(events.find((event) => event.metadata?.runner_host)?.metadata?.runner_host).toBe(`host-${label}`)
      const diff = await api(server, 'GET', `/tasks/${id}/diff`)
      expect(diff.status).toBe(200)
      expect(diff.body.files.map((entry: { path: string }) => entry.path)).toEqual([file])
      expect(diff.body.patch).toContain(`+${ids.findIndex((entry) => entry.id === id)}`)
      const merged = await api(server, 'POST', `/tasks/${id}/worktree/merge`, {
        strategy: 'commit',
        message: `merge ${file}`,
      })
      expect({ status: merged.status, body: merged.body }).toMatchObject({ status: 200 })
    }
    const tracked = gitSync(repo, 'ls-tree', '--name-only', 'HEAD').split('\n')
    for (const { file } of ids) expect(tracked).toContain(file)
  }, 180_000)
})
