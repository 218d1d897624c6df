import { expect, test } from 'bun:test'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  captureDiff,
  cleanupWorktree,
  mergeTask,
  prepareWorkspace,
  type TaskCheckout,
} from '../../src/git/index.ts'
import { checkoutFor, gitSync, makeRepo, read, scratchSpace, status, write } from './helpers.ts'

const dir = scratchSpace()

test('20 tasks on one repository: prepared, edited, merged and cleaned up concurrently without lock errors', async () => {
  const repo = makeRepo(dir('busy'), { 'README.md': 'shared\n' })
  const startHead = gitSync(repo, 'rev-parse', 'HEAD').trim()
  const ids = Array.from({ length: 20 }, () => crypto.randomUUID())

  const tasks = await Promise.all(ids.map((taskId) => prepareWorkspace({ taskId, workspace: repo })))
  const checkouts = await Promise.all(ids.map((taskId) => checkoutFor(repo, taskId)))
  expect(new Set(tasks.map((task) => task.worktreePath)).size).toBe(20)
  expect(tasks.every((task) => task.isolated && task.baseCommit === startHead)).toBe(true)

  tasks.forEach((task, i) => {
    write(task.worktreePath as string, `task-${i}.txt`, `work of task ${i}\n`)
  })
  const diffs = await Promise.all(
    tasks.map((task, i) =>
      captureDiff({ checkout: checkouts[i] as TaskCheckout, baseCommit: task.baseCommit }),
    ),
  )
  diffs.forEach((diff, i) => {
    expect(diff.files.map((file) => file.path)).toEqual([`task-${i}.txt`])
  })

  // Every merge is requested at once; the per-repository lock runs them one after another, each
  // three-way against the commits the previous ones made.
  const merges = await Promise.all(
    tasks.map((task, i) =>
      mergeTask({
        checkout: checkouts[i] as TaskCheckout,
        repoRoot: repo,
        baseCommit: task.baseCommit,
        strategy: 'commit',
        message: `task ${i}`,
      }),
    ),
  )
  expect(merges.every((merge) => merge.merged_files.length === 1)).toBe(true)
  expect(gitSync(repo, 'rev-list', '--count', `${startHead}..HEAD`).trim()).toBe('20')
  tasks.forEach((_, i) => {
    expect(read(repo, `task-${i}.txt`)).toBe(`work of task ${i}\n`)
  })

  await Promise.all(
    tasks.map((task, i) =>
      cleanupWorktree({ checkout: checkouts[i] as TaskCheckout, baseCommit: task.baseCommit }),
    ),
  )
  expect(existsSync(join(repo, '.openruntime', 'worktrees'))).toBe(true)
  expect(readdirSync(join(repo, '.openruntime', 'worktrees'))).toEqual([])
  expect(readdirSync(join(repo, '.openruntime', 'gitdirs'))).toEqual([])
  expect(gitSync(repo, 'branch', '--format=%(refname:short)').trim()).toBe('main')
  expect(status(repo)).toEqual([])
}, 60_000)
