import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../src/errors.ts'
import { mergeTask, prepareWorkspace } from '../../src/git/index.ts'
import {
  checkoutFor,
  checkoutState,
  gitSync,
  hashFiles,
  makeRepo,
  read,
  scratchSpace,
  status,
  write,
} from './helpers.ts'

const dir = scratchSpace()

const lines = (count: number, tag = '') =>
  Array.from({ length: count }, (_, i) => `line ${i}${tag}\n`).join('')

/** A repository and one task in it that modified, added, deleted and committed files. */
async function repoWithTask(name: string) {
  const repo = makeRepo(dir(name), {
    'shared.txt': lines(10),
    'task-edit.txt': 'before\n',
    'task-delete.txt': 'doomed\n',
    'user-edit.txt': 'user\n',
    'staged-by-user.txt': 'user\n',
  })
  const taskId = crypto.randomUUID()
  const prepared = await prepareWorkspace({ taskId, workspace: repo })
  const worktree = prepared.worktreePath as string
  write(worktree, 'task-edit.txt', 'after\n')
  gitSync(worktree, 'commit', '-q', '-am', 'agent commit')
  rmSync(join(worktree, 'task-delete.txt'))
  write(worktree, 'task-new/added.txt', 'new\n')
  write(worktree, 'task-new/blob.bin', new Uint8Array([0, 159, 146, 150, 0]))
  return { repo, taskId, worktree, base: prepared.baseCommit }
}

const mergeInput = async (task: Awaited<ReturnType<typeof repoWithTask>>) => ({
  checkout: await checkoutFor(task.repo, task.taskId),
  repoRoot: task.repo,
  baseCommit: task.base,
})

const taskFiles = ['task-delete.txt', 'task-edit.txt', 'task-new/added.txt', 'task-new/blob.bin']

/** The user's own work in progress, in files the task does not touch. */
function dirtyTheTarget(repo: string) {
  write(repo, 'user-edit.txt', 'user, edited\n')
  write(repo, 'staged-by-user.txt', 'user, staged\n')
  gitSync(repo, 'add', 'staged-by-user.txt')
  write(repo, 'user-untracked.txt', 'scratch\n')
}

async function expectConflict(work: Promise<unknown>, files: string[]) {
  const failure = await work.catch((error) => error)
  expect(failure).toBeInstanceOf(AppError)
  expect(failure).toMatchObject({ kind: 'conflict', code: 'merge_conflict' })
  expect((failure as AppError).details?.files).toEqual(files)
}

describe('mergeTask', () => {
  test("'apply' lands the task's changes uncommitted and keeps the user's unrelated work", async () => {
    const { repo, taskId, worktree, base } = await repoWithTask('apply')
    dirtyTheTarget(repo)
    const before = checkoutState(repo)
    const worktreeBefore = hashFiles(worktree)

    const result = await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      workspace: repo,
      baseCommit: base,
    })

    expect([...result.merged_files].sort()).toEqual(taskFiles)
    expect(result.commit).toBeUndefined()
    const after = checkoutState(repo)
    expect(after.head).toBe(before.head)
    expect(after.index).toBe(before.index)
    expect(read(repo, 'task-edit.txt')).toBe('after\n')
    expect(existsSync(join(repo, 'task-delete.txt'))).toBe(false)
    expect(after.files['task-new/blob.bin']).toBe(hashFiles(worktree)['task-new/blob.bin'] as string)
    expect(read(repo, 'user-edit.txt')).toBe('user, edited\n')
    expect(status(repo)).toEqual(
      [
        ' D task-delete.txt',
        ' M task-edit.txt',
        ' M user-edit.txt',
        'M  staged-by-user.txt',
        '?? task-new/added.txt',
        '?? task-new/blob.bin',
        '?? user-untracked.txt',
      ].sort(),
    )
    expect(hashFiles(worktree)).toEqual(worktreeBefore)
  })

  test("'commit' makes one commit of the task's files only; the user's staged work stays staged", async () => {
    const { repo, taskId, base } = await repoWithTask('commit')
    dirtyTheTarget(repo)
    const before = checkoutState(repo)

    const result = await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      baseCommit: base,
      strategy: 'commit',
      message: 'Add the task work',
    })

    const head = gitSync(repo, 'rev-parse', 'HEAD').trim()
    expect(result.commit).toBe(head)
    expect(gitSync(repo, 'rev-parse', 'HEAD^').trim()).toBe(before.head)
    expect(gitSync(repo, 'symbolic-ref', 'HEAD').trim()).toBe(before.branch)
    expect(gitSync(repo, 'log', '-1', '--format=%s').trim()).toBe('Add the task work')
    expect(
      gitSync(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter(Boolean).sort(),
    ).toEqual(taskFiles)
    expect(status(repo)).toEqual(
      [' M user-edit.txt', 'M  staged-by-user.txt', '?? user-untracked.txt'].sort(),
    )
    expect(gitSync(repo, 'show', 'HEAD:task-new/added.txt')).toBe('new\n')
  })

  test('a target that moved on is merged three-way, edits to other lines of the same file included', async () => {
    const { repo, taskId, worktree, base } = await repoWithTask('three-way')
    write(worktree, 'shared.txt', lines(10).replace('line 8\n', 'line 8 by task\n'))
    write(repo, 'shared.txt', lines(10).replace('line 1\n', 'line 1 by user\n'))
    gitSync(repo, 'commit', '-q', '-am', 'user moves on')

    await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      baseCommit: base,
      strategy: 'commit',
    })

    expect(read(repo, 'shared.txt')).toBe(
      lines(10).replace('line 1\n', 'line 1 by user\n').replace('line 8\n', 'line 8 by task\n'),
    )
    expect(status(repo)).toEqual([])
  })

  test('a three-way conflict refuses and leaves the target byte-for-byte as it was', async () => {
    const { repo, taskId, worktree, base } = await repoWithTask('conflict')
    write(worktree, 'shared.txt', lines(10).replace('line 4\n', 'line 4 by task\n'))
    write(repo, 'shared.txt', lines(10).replace('line 4\n', 'line 4 by user\n'))
    gitSync(repo, 'commit', '-q', '-am', 'user edits the same line')
    dirtyTheTarget(repo)
    const before = checkoutState(repo)

    for (const strategy of ['apply', 'commit'] as const) {
      await expectConflict(
        mergeTask({ checkout: await checkoutFor(repo, taskId), repoRoot: repo, baseCommit: base, strategy }),
        ['shared.txt'],
      )
      expect(checkoutState(repo)).toEqual(before)
    }
  })

  test('uncommitted target changes in a file the task changed refuse the merge, untouched', async () => {
    const cases: Array<[string, (repo: string) => void, string[]]> = [
      ['unstaged', (repo) => write(repo, 'task-edit.txt', 'user edit\n'), ['task-edit.txt']],
      [
        'staged',
        (repo) => {
          write(repo, 'task-delete.txt', 'user keeps it\n')
          gitSync(repo, 'add', 'task-delete.txt')
        },
        ['task-delete.txt'],
      ],
      ['untracked', (repo) => write(repo, 'task-new/added.txt', 'mine\n'), ['task-new/added.txt']],
      [
        'untracked in a path the task writes a file',
        (repo) => write(repo, 'task-new/blob.bin/x', 'dir\n'),
        ['task-new/blob.bin'],
      ],
    ]
    for (const [name, dirty, files] of cases) {
      const { repo, taskId, base } = await repoWithTask(`dirty-${name.replaceAll(' ', '-')}`)
      dirty(repo)
      const before = checkoutState(repo)
      await expectConflict(
        mergeTask({ checkout: await checkoutFor(repo, taskId), repoRoot: repo, baseCommit: base }),
        files,
      )
      expect(checkoutState(repo)).toEqual(before)
    }
  })

  test('an ignored file where the task adds one is not overwritten', async () => {
    const { repo, taskId, worktree, base } = await repoWithTask('ignored')
    writeFileSync(join(repo, '.git', 'info', 'exclude'), '.openruntime/\n*.local\n')
    write(worktree, 'settings.local', 'task\n')
    gitSync(worktree, 'add', '-f', 'settings.local')
    write(repo, 'settings.local', 'precious\n')
    const before = checkoutState(repo)
    await expectConflict(
      mergeTask({ checkout: await checkoutFor(repo, taskId), repoRoot: repo, baseCommit: base }),
      ['settings.local'],
    )
    expect(checkoutState(repo)).toEqual(before)
  })

  test('a failure after writing (HEAD cannot be updated) is rolled back', async () => {
    const { repo, taskId, base } = await repoWithTask('rollback')
    dirtyTheTarget(repo)
    const before = checkoutState(repo)
    const indexEntries = gitSync(repo, 'ls-files', '--stage')
    const lock = join(repo, '.git', 'refs', 'heads', 'main.lock')
    mkdirSync(join(repo, '.git', 'refs', 'heads'), { recursive: true })
    writeFileSync(lock, '')

    const failure = await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      baseCommit: base,
      strategy: 'commit',
    }).catch((error) => error)
    rmSync(lock)

    expect(failure).toBeInstanceOf(AppError)
    expect(failure.message).toContain('main.lock')
    const after = checkoutState(repo)
    // Restoring rewrites the index file (fresh stat data), so its entries are compared, not its bytes.
    expect(after.files).toEqual(before.files)
    expect(after.head).toBe(before.head)
    expect(gitSync(repo, 'ls-files', '--stage')).toBe(indexEntries)
  })

  test("the merge commit carries the repository's own identity, or openRuntime's when it has none", async () => {
    const owned = await repoWithTask('identity-own')
    gitSync(owned.repo, 'config', 'user.name', 'Repo Owner')
    gitSync(owned.repo, 'config', 'user.email', 'owner@example.com')
    await mergeTask({ ...(await mergeInput(owned)), strategy: 'commit' })
    expect(gitSync(owned.repo, 'log', '-1', '--format=%an <%ae>').trim()).toBe(
      'Repo Owner <owner@example.com>',
    )

    const bare = await repoWithTask('identity-none')
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME }
    process.env.HOME = dir('empty-home')
    process.env.XDG_CONFIG_HOME = dir('empty-home')
    try {
      await mergeTask({ ...(await mergeInput(bare)), strategy: 'commit' })
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    }
    expect(gitSync(bare.repo, 'log', '-1', '--format=%an <%ae>').trim()).toBe(
      'openRuntime <openruntime@localhost>',
    )
  })

  test('a task with nothing new merges nothing', async () => {
    const repo = makeRepo(dir('noop'))
    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    const result = await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      baseCommit: prepared.baseCommit,
      strategy: 'commit',
    })
    expect(result.merged_files).toEqual([])
    expect(result.commit).toBeUndefined()
  })

  test('a repository without commits gets a root commit from the task', async () => {
    const repo = dir('empty-target')
    gitSync(repo, 'init', '-q', '-b', 'main')
    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    write(prepared.worktreePath as string, 'hello.txt', 'hi\n')
    const result = await mergeTask({
      checkout: await checkoutFor(repo, taskId),
      repoRoot: repo,
      baseCommit: prepared.baseCommit,
      strategy: 'commit',
    })
    expect(gitSync(repo, 'rev-parse', 'HEAD').trim()).toBe(result.commit as string)
    expect(gitSync(repo, 'rev-list', '--count', 'HEAD').trim()).toBe('1')
    expect(gitSync(repo, 'ls-files')).toBe('hello.txt\n')
  })

  test('a workspace from another checkout is refused', async () => {
    const { repo, taskId, base } = await repoWithTask('wrong-target')
    const other = makeRepo(dir('other-repo'))
    await expect(
      mergeTask({
        checkout: await checkoutFor(repo, taskId),
        repoRoot: repo,
        workspace: other,
        baseCommit: base,
      }),
    ).rejects.toMatchObject({ kind: 'precondition', code: 'merge_target_invalid' })
  })
})
