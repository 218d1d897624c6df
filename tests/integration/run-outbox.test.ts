import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

/** What runs next is committed state: the run outbox, written with START and taken by the claim. */

let rt: TestRuntime
let repo = ''

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '1' })
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const create = async (command: string) =>
  (await rt.call('POST', '/tasks', { title: command, prompt: '', runner: 'shell', command, workspace: repo }))
    .body.id as string
const status = async (id: string) => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status
const outbox = () => rt.runtime.store.outbox.list().map((entry) => entry.task_id)

test('a started run waits in the outbox until claimed; a stop while it waits takes it out', async () => {
  const busy = await create('read line')
  await rt.call('POST', `/tasks/${busy}/start`)
  await waitFor('the first run to be claimed', async () => (await status(busy)) === 'needs-input')
  expect(outbox()).toEqual([])

  const waiting = await create('echo later')
  const stopped = await create('echo never')
  await rt.call('POST', `/tasks/${waiting}/start`)
  await rt.call('POST', `/tasks/${stopped}/start`)
  expect(outbox().sort()).toEqual([waiting, stopped].sort())

  expect((await rt.call('POST', `/tasks/${stopped}/stop`)).status).toBe(200)
  expect(outbox()).toEqual([waiting])

  await rt.call('POST', `/tasks/${busy}/reply`, { message: 'done' })
  await waitFor('the waiting run to complete', async () => (await status(waiting)) === 'completed')
  expect(outbox()).toEqual([])
  expect(await status(stopped)).toBe('stopped')
  expect((await rt.call('GET', `/tasks/${stopped}?events=all`)).body.attempts).toEqual([])
})
