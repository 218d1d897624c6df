import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { hostScratch, type TasksApi, tasksApi } from './api'

/** A machine without the agent CLIs: Claude Code configured at a path that does not exist, Codex not on PATH. */

const scratch = hostScratch('openruntime-agents-missing-')
let rt: TestRuntime
let api: TasksApi
let repo = ''

beforeAll(async () => {
  repo = makeRepo(join(scratch.path, 'repo'))
  rt = await startTestRuntime({ PATH: '/usr/bin:/bin', OPENRUNTIME_CLAUDE_BIN: '/nonexistent/claude' })
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  scratch.cleanup()
})

test('GET /runners reports each missing CLI as unavailable, with the reason', async () => {
  const runners = (await rt.call('GET', '/runners?refresh=true')).body
  const byName = Object.fromEntries(runners.map((runner: any) => [runner.runner, runner]))
  expect(byName['claude-code']).toMatchObject({
    available: false,
    version: null,
    reason: '/nonexistent/claude is not an executable file',
  })
  expect(byName.codex).toMatchObject({
    available: false,
    path: null,
    reason: '"codex" was not found on PATH',
  })
  expect(byName.shell).toMatchObject({ available: true })
})

for (const [runner, label] of [
  ['claude-code', 'Claude Code'],
  ['codex', 'Codex'],
] as const) {
  test(`starting a ${label} task is refused with 412 naming the runner, and nothing changes`, async () => {
    const id = await api.create({ runner, prompt: 'SCRIPT:echo hello', workspace: repo })
    const before = await api.get(id)
    const refused = await api.start(id)
    expect(refused.status).toBe(412)
    expect(refused.body.error.code).toBe('runner_unavailable')
    expect(refused.body.error.message).toStartWith(`Cannot start ${label} runner: `)
    expect(refused.body.error.details).toMatchObject({ runner })
    const after = await api.get(id)
    expect(after).toMatchObject({ status: 'queued', state: 'queued.draft', effective_policy: null })
    expect(after.last_seq).toBe(before.last_seq)
  })
}
