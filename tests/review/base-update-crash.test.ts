import { afterAll, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { locateTaskCheckout, planBaseUpdate, writeBaseUpdate } from '../../src/git'
import { tasksApi } from '../runners/api'
import { gitSync, makeRepo } from '../support/git-repo'
import { restartTestRuntime, startTestRuntime, type TestRuntime } from '../support/runtime'
import { hashTree } from './worktree-hash'

let rt: TestRuntime

afterAll(() => rt?.close())

test('an update the server died in while writing is undone at the next start', async () => {
  rt = await startTestRuntime()
  const repo = makeRepo(join(rt.dir, 'repo'), { 'a.txt': 'a\n', 'b.txt': 'b\n' })
  const api = tasksApi(rt)
  const id = await api.create({
    runner: 'shell',
    command: 'echo task > a.txt && echo u > untracked.txt',
    workspace: repo,
  })
  await api.run(id)
  const task = await api.settled(id)
  expect(task.status).toBe('ready-for-review')
  const before = hashTree(task.worktree_path)
  writeFileSync(join(repo, 'b.txt'), 'moved\n')
  gitSync(repo, 'commit', '-qam', 'target moves')

  // What the update does up to the moment the server dies: the plan recorded, the files written.
  const checkout = await locateTaskCheckout(repo, id, task.worktree_path)
  const plan = await planBaseUpdate(checkout, task.base_commit, 'rebase')
  if (!plan) throw new Error('the target moved, so there is an update to plan')
  rt.runtime.store.baseUpdates.record({
    task_id: id,
    mode: 'rebase',
    phase: 'writing',
    plan,
    files: [],
    created_at: new Date().toISOString(),
  })
  await writeBaseUpdate(checkout, plan)
  expect(readFileSync(join(task.worktree_path, 'b.txt'), 'utf8')).toBe('moved\n')

  rt = await restartTestRuntime(rt)
  expect(rt.runtime.recovery.repository).toContainEqual({
    task_id: id,
    kind: 'base-update',
    outcome: 'rolled-back',
  })
  expect(hashTree(task.worktree_path)).toEqual(before)
  const view = (await rt.call('GET', `/tasks/${id}/base`)).body
  expect(view).toMatchObject({ base_commit: task.base_commit, behind: 1, update: null })
})
