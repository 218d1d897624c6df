import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { RosterTask, TaskView } from '../../src/domain'
import type { TaskListQuery } from '../../src/storage/tasks'
import { makeRepo } from '../support/git-repo'
import { createShellTask, startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string
let other: string

beforeAll(async () => {
  rt = await startTestRuntime()
  repo = makeRepo(join(rt.dir, 'repo'))
  other = makeRepo(join(rt.dir, 'other'))
})
afterAll(() => rt?.close())

const create = (command: string, extra: Record<string, unknown> = {}) =>
  createShellTask(rt, repo, command, extra)

async function runToEnd(id: string): Promise<void> {
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor(`task ${id} settled`, async () => {
    const { status } = (await rt.call('GET', `/tasks/${id}?events=none`)).body
    return ['ready-for-review', 'completed', 'failed'].includes(status)
  })
}

/** What a roster entry must say, taken from the task's full view. */
const entryOf = (view: TaskView): RosterTask => ({
  id: view.id,
  title: view.title,
  status: view.status,
  state: view.state,
  runner: view.runner,
  workspace: view.workspace,
  group_id: view.group_id,
  created_at: view.created_at,
  diff_stat: view.diff_stat,
  check_summary: view.check_summary,
  current_attempt: view.current_attempt
    ? { started_at: view.current_attempt.started_at, finished_at: view.current_attempt.finished_at }
    : null,
  runtime_millis: view.cost_ledger.runtime_millis,
})

const expectSamePage = (query: TaskListQuery) => {
  const { tasks } = rt.runtime
  expect(tasks.roster(query)).toEqual(tasks.list(query, 'none').map(entryOf))
}

describe('roster entries', () => {
  test('say what the full views say, page by page and under every filter', async () => {
    await create('true', { title: 'never started' })
    const changed = await create('echo made > made.txt', {
      checks: [{ name: 'file exists', command: 'test -f made.txt' }],
    })
    await runToEnd(changed)
    const failed = await create('exit 3', { workspace: other })
    await runToEnd(failed)
    // A second attempt: the entry shows the newest one's times.
    await runToEnd(failed)
    const held = await create('sleep 30')
    expect((await rt.call('POST', `/tasks/${held}/start`)).status).toBe(200)
    await waitFor('the held run started', () => rt.runtime.tasks.view(held, 'none').current_attempt)

    const all = rt.runtime.tasks.list({ limit: 100 }, 'none')
    expect(all).toHaveLength(4)
    // The cases the entries must get right are all here.
    expect(all.some((task) => task.current_attempt === null)).toBe(true)
    expect(all.some((task) => task.current_attempt?.finished_at === null)).toBe(true)
    expect(all.some((task) => task.check_summary !== null && task.diff_stat !== null)).toBe(true)
    expect(all.find((task) => task.id === failed)?.attempts).toHaveLength(2)
    expect(all.find((task) => task.id === changed)?.cost_ledger.runtime_millis).toBeGreaterThan(0)

    expectSamePage({ limit: 100 })
    expectSamePage({ limit: 2 })
    const [, second] = all
    expectSamePage({ limit: 100, after: { updated_at: second?.updated_at ?? '', id: second?.id ?? '' } })
    expectSamePage({ limit: 100, status: ['failed', 'ready-for-review'] })
    expectSamePage({ limit: 100, workspace: other })
    expectSamePage({ limit: 100, runner: 'shell' })
    expectSamePage({ limit: 100, runner: 'codex' })
    expect(rt.runtime.tasks.roster({ limit: 100, runner: 'codex' })).toEqual([])

    expect((await rt.call('POST', `/tasks/${held}/stop`)).status).toBe(200)
  })

  test('a damaged cost ledger reads as no runtime, as the full view reads it', async () => {
    const id = await create('true', { title: 'damaged ledger' })
    await runToEnd(id)
    rt.runtime.store.db.query('UPDATE tasks SET cost_ledger_json = ? WHERE id = ?').run('{not json', id)
    const [entry] = rt.runtime.tasks.roster({ limit: 1 })
    expect(entry?.id).toBe(id)
    expect(entry?.runtime_millis).toBe(0)
    expect(entry).toEqual(entryOf(rt.runtime.tasks.view(id, 'none')))
  })
})
