import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { eventsOf, hostScratch, type TasksApi, tasksApi } from './api'

/** A machine where bubblewrap cannot run (OPENRUNTIME_BWRAP points at nothing). */

const scratch = hostScratch('openruntime-no-sandbox-')
let rt: TestRuntime
let api: TasksApi
let repo = ''

beforeAll(async () => {
  repo = makeRepo(join(scratch.path, 'repo'))
  rt = await startTestRuntime({ PATH: process.env.PATH ?? '', OPENRUNTIME_BWRAP: '/nonexistent/bwrap' })
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  scratch.cleanup()
})

describe('without bubblewrap', () => {
  test('runners say the sandbox is off and why; a task that requires it is refused with 412', async () => {
    const runners = (await rt.call('GET', '/runners')).body
    for (const runner of runners)
      expect(runner).toMatchObject({
        sandboxed: false,
        sandbox_reason: expect.stringContaining('/nonexistent/bwrap'),
      })
    const id = await api.create({
      runner: 'shell',
      command: 'echo hi',
      workspace: repo,
      policy: { require_sandbox: true },
    })
    const before = await api.get(id)
    const refused = await api.start(id)
    expect(refused.status).toBe(412)
    expect(refused.body.error.code).toBe('sandbox_required')
    expect(refused.body.error.message).toContain('apt-get install bubblewrap')
    const after = await api.get(id)
    expect(after).toMatchObject({ status: 'queued', effective_policy: null, last_seq: before.last_seq })
  })

  test('a task that does not require it runs, and says it was not sandboxed', async () => {
    const id = await api.create({ runner: 'shell', command: 'echo unsandboxed', workspace: repo })
    await api.run(id)
    const task = await api.settled(id)
    expect(task).toMatchObject({ status: 'completed', sandboxed: false })
    const [sandbox] = eventsOf(task, 'sandbox')
    expect(sandbox.message).toContain('Not sandboxed')
    expect(sandbox.metadata).toMatchObject({
      sandboxed: false,
      reason: expect.stringContaining('/nonexistent/bwrap'),
    })
  })
})
