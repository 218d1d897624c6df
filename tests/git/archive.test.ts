import { describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupWorktree, prepareWorkspace, restoreWorktree } from '../../src/git/index.ts'
import { gitSync, hashFiles, makeRepo, scratchSpace, status, write } from './helpers.ts'

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

    const cleaned = await cleanupWorktree({ repoRoot: repo, worktreePath: worktree, taskId, branch })

    expect(existsSync(worktree)).toBe(false)
    expect(branches(repo)).toEqual(['main'])
    expect(gitSync(repo, 'worktree', 'list', '--porcelain')).not.toContain(worktree)
    expect(cleaned.archive_ref).toBe(`refs/openruntime/archive/${taskId}`)
    expect(gitSync(repo, 'rev-parse', `${cleaned.archive_ref}^`).trim()).toBe(agentHead)
    expect(status(repo)).toEqual([])

    const restored = await restoreWorktree({ repoRoot: repo, taskId, worktreePath: worktree, branch })

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

    const cleaned = await cleanupWorktree({
      repoRoot: repo,
      worktreePath: worktree,
      taskId,
      branch: prepared.branch,
    })
    expect(branches(repo)).toEqual(['main'])
    expect(gitSync(repo, 'show', `${cleaned.archive_ref}:work.txt`)).toBe('done\n')
    const again = await cleanupWorktree({
      repoRoot: repo,
      worktreePath: worktree,
      taskId,
      branch: prepared.branch,
    })
    expect(again.archive_commit).toBe(cleaned.archive_commit)

    await restoreWorktree({
      repoRoot: repo,
      taskId,
      worktreePath: worktree,
      branch: prepared.branch as string,
    })
    expect(gitSync(worktree, 'ls-files')).toContain('work.txt')
    expect(status(worktree)).toEqual([])
  })

  test("cleanup refuses to delete anything but the task's own worktree and branch", async () => {
    const repo = makeRepo(dir('refuse'))
    const before = hashFiles(repo)
    await expect(
      cleanupWorktree({ repoRoot: repo, worktreePath: repo, taskId: crypto.randomUUID(), branch: null }),
    ).rejects.toMatchObject({ kind: 'precondition', code: 'worktree_invalid' })
    const stranger = dir('refuse-stranger')
    write(stranger, 'precious.txt', 'keep\n')
    await expect(
      cleanupWorktree({ repoRoot: repo, worktreePath: stranger, taskId: crypto.randomUUID(), branch: null }),
    ).rejects.toMatchObject({ kind: 'precondition' })
    expect(hashFiles(repo)).toEqual(before)
    expect(existsSync(join(stranger, 'precious.txt'))).toBe(true)

    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    const worktreePath = prepared.worktreePath as string
    await expect(
      cleanupWorktree({ repoRoot: repo, worktreePath, taskId, branch: 'main' }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      code: 'invalid_branch',
    })
    expect(existsSync(worktreePath)).toBe(true)
    expect(branches(repo)).toContain('main')
  })

  test('restore without an archive, or onto an existing directory, is refused', async () => {
    const repo = makeRepo(dir('restore-refused'))
    const taskId = crypto.randomUUID()
    await expect(
      restoreWorktree({
        repoRoot: repo,
        taskId,
        worktreePath: join(repo, 'nowhere'),
        branch: 'openruntime/x',
      }),
    ).rejects.toMatchObject({ kind: 'not_found' })
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    const worktree = prepared.worktreePath as string
    const branch = prepared.branch as string
    await cleanupWorktree({ repoRoot: repo, worktreePath: worktree, taskId, branch })
    await restoreWorktree({ repoRoot: repo, taskId, worktreePath: worktree, branch })
    await expect(
      restoreWorktree({ repoRoot: repo, taskId, worktreePath: worktree, branch }),
    ).rejects.toMatchObject({
      kind: 'conflict',
      code: 'worktree_exists',
    })
  })
})
