import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
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

const homeOf = (name: string) => hosts.find((host) => host.name === name)?.home

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
    // Every task goes to the hosts, those without labels too.
    OPENRUNTIME_RUN_PLACEMENT: 'remote',
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
  test('20 shell tasks spread over both hosts (each with its own HOME and repository cache), reviewed by their diff and merged on the control plane', async () => {
    const repo = makeRepo(join(dir.path, 'repo'))
    // Two pinned to a host by label; the other 18 go to whichever host takes them first.
    const pins: (string | null)[] = ['a', 'b', ...Array.from({ length: 18 }, () => null)]
    const runs: { id: string; pin: string | null; file: string; index: number }[] = []
    for (const [index, pin] of pins.entries()) {
      const file = `out-${index}.txt`
      const created = await api(server, 'POST', '/tasks', {
        title: `remote ${index}`,
        prompt: '',
        runner: 'shell',
        command: `echo "made in HOME=$HOME ${index}" && echo ${index} > ${file}`,
        workspace: repo,
        runner_labels: pin === null ? [] : ['linux', pin],
      })
      expect(created.status).toBe(200)
      runs.push({ id: created.body.id, pin, file, index })
    }
    // Started together, so the hosts compete for them.
    for (const { id } of runs) expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    const ranOn = new Map<string, string>()
    for (const { id, pin, file, index } of runs) {
      const done = await untilStatus(id, ['ready-for-review', 'failed'])
      const events = (await api(server, 'GET', `/tasks/${id}/events?limit=500`)).body as {
        kind: string
        message: string
        metadata: Record<string, unknown> | null
      }[]
      if (done.status !== 'ready-for-review')
        console.error(events.map((event) => event.message).join('\n'), dump())
      expect(done.status).toBe('ready-for-review')
      const host = events.find((event) => event.metadata?.runner_host)?.metadata?.runner_host as string
      if (pin !== null) expect(host).toBe(`host-${pin}`)
      ranOn.set(id, host)
      // The run saw the HOME of the host that ran it, not the control plane's or the other host's.
      const said = events.find((event) => event.kind === 'stdout' && event.message.startsWith('made in'))
      expect(said?.message).toBe(`made in HOME=${homeOf(host)} ${index}`)
      const diff = await api(server, 'GET', `/tasks/${id}/diff`)
      expect(diff.status).toBe(200)
      expect(diff.body.files.map((entry: { path: string }) => entry.path)).toEqual([file])
      expect(diff.body.patch).toContain(`+${index}\n`)
    }
    const counts = hosts.map((host) => [...ranOn.values()].filter((name) => name === host.name).length)
    expect(counts.reduce((a, b) => a + b)).toBe(20)
    // Unpinned tasks spread: each host ran some besides its pinned one (4 slots for 20 tasks).
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(2)
    // Each fetched into its own repository cache, under its own directory.
    for (const host of hosts) expect(existsSync(join(host.dir, 'private', 'cache'))).toBe(true)
    for (const { id, file } of runs) {
      const merged = await api(server, 'POST', `/tasks/${id}/worktree/merge`, {
        strategy: 'commit',
        message: `merge ${file}`,
      })
      expect({ status: merged.status, body: merged.body }).toMatchObject({ status: 200 })
      expect((await task(id)).status).toBe('completed')
    }
    const tracked = gitSync(repo, 'ls-tree', '--name-only', 'HEAD').split('\n')
    for (const { file, index } of runs) {
      expect(tracked).toContain(file)
      expect(gitSync(repo, 'show', `HEAD:${file}`).trim()).toBe(String(index))
    }
  }, 180_000)
})
