import { describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  cleanupWorktree,
  locateTaskCheckout,
  prepareWorkspace,
  restoreWorktree,
} from '../../src/git/index.ts'
import { checkoutFor, gitSync, hashFiles, makeRepo, scratchSpace, status, write } from './helpers.ts'

const dir = scratchSpace()

const branches = (repo: string) =>
  gitSync(repo, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean)

describe('cleanupWorktree and restoreWorktree', () => {
  test('cleanup archives everything, restore gives back exactly the same files', async () => {
    const repo = makeRepo(dir('roundtrip'), {
      'kept.txt': 'kept\n',
      'edited.txt': 'v1\n',
      'removed.txt': 'x\n',
    })
    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    const worktree = prepared.worktreePath as string
    const branch = prepared.branch as string
    write(worktree, 'committed.txt', 'agent commit\n')
    gitSync(worktree, 'add', 'committed.txt')
    gitSync(worktree, 'commit', '-q', '-m', 'agent')
    const agentHead = gitSync(worktree, 'rev-parse', 'HEAD').trim()
    write(worktree, 'edited.txt', 'v2 staged\n')
    gitSync(worktree, 'add', 'edited.txt')
    write(worktree, 'edited.txt', 'v3 unstaged on top\n')
    rmSync(join(worktree, 'removed.txt'))
    write(worktree, 'notes/untracked.md', '# notes\n')
    write(worktree, 'pixel.bin', new Uint8Array([137, 80, 78, 71, 0, 0, 255]))
    const files = hashFiles(worktree)

    const checkout = await checkoutFor(repo, taskId)
    const cleaned = await cleanupWorktree({ checkout, baseCommit: prepared.baseCommit })

    expect(existsSync(worktree)).toBe(false)
    expect(existsSync(checkout.gitDir)).toBe(false)
    expect(branches(repo)).toEqual(['main'])
    expect(cleaned.archive_ref).toBe(`refs/openruntime/archive/${taskId}`)
    expect(gitSync(repo, 'rev-parse', `${cleaned.archive_ref}^`).trim()).toBe(agentHead)
    expect(status(repo)).toEqual([])

    const restored = await restoreWorktree({ checkout })

    expect(restored.archive_commit).toBe(cleaned.archive_commit as string)
    expect(hashFiles(worktree)).toEqual(files)
    expect(gitSync(worktree, 'rev-parse', 'HEAD').trim()).toBe(agentHead)
    expect(gitSync(worktree, 'symbolic-ref', '--short', 'HEAD').trim()).toBe(branch)
    expect(status(worktree)).toEqual(
      [' D removed.txt', ' M edited.txt', '?? notes/untracked.md', '?? pixel.bin'].sort(),
    )
  })

  test('cleanup of a worktree whose directory is already gone still keeps its commits', async () => {
    const repo = makeRepo(dir('gone'))
    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    const worktree = prepared.worktreePath as string
    write(worktree, 'work.txt', 'done\n')
    gitSync(worktree, 'add', 'work.txt')
    gitSync(worktree, 'commit', '-q', '-m', 'work')
    rmSync(worktree, { recursive: true, force: true })

    const checkout = await checkoutFor(repo, taskId)
    const cleaned = await cleanupWorktree({ checkout, baseCommit: prepared.baseCommit })
    expect(branches(repo)).toEqual(['main'])
    expect(gitSync(repo, 'show', `${cleaned.archive_ref}:work.txt`)).toBe('done\n')
    const again = await cleanupWorktree({ checkout, baseCommit: prepared.baseCommit })
    expect(again.archive_commit).toBe(cleaned.archive_commit)

    await restoreWorktree({ checkout })
    expect(gitSync(worktree, 'ls-files')).toContain('work.txt')
    expect(status(worktree)).toEqual([])
  })

  test('a task record naming any other worktree is refused before anything is touched', async () => {
    const repo = makeRepo(dir('refuse'))
    const before = hashFiles(repo)
    const stranger = dir('refuse-stranger')
    write(stranger, 'precious.txt', 'keep\n')
    for (const recorded of [repo, stranger, join(repo, '.openruntime', 'worktrees', 'other-task')]) {
      await expect(locateTaskCheckout(repo, crypto.randomUUID(), recorded)).rejects.toMatchObject({
        kind: 'precondition',
        code: 'worktree_invalid',
      })
    }
    expect(hashFiles(repo)).toEqual(before)
    expect(existsSync(join(stranger, 'precious.txt'))).toBe(true)
  })

  test('restore without an archive, or onto an existing directory, is refused', async () => {
    const repo = makeRepo(dir('restore-refused'))
    const taskId = crypto.randomUUID()
    const checkout = await checkoutFor(repo, taskId)
    await expect(restoreWorktree({ checkout })).rejects.toMatchObject({ kind: 'not_found' })
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    await cleanupWorktree({ checkout, baseCommit: prepared.baseCommit })
    await restoreWorktree({ checkout })
    await expect(restoreWorktree({ checkout })).rejects.toMatchObject({
      kind: 'conflict',
      code: 'worktree_exists',
    })
  })
})
