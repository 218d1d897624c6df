import { mkdir, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AppError, conflict, notFound } from '../errors.ts'
import { copyPaths, ignoredFilesMatching } from './copy-ignored.ts'
import { git, OWN_IDENTITY, resolveCommit } from './exec.ts'
import { isDirectory } from './files.ts'
import { archiveRef, assertTaskId } from './names.ts'
import { isLinkedWorktreeOf, pruneStaleWorktrees, type RepoInfo, requireRepo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { snapshotTree, treeOf } from './snapshot.ts'

export interface CleanupWorktreeInput {
  repoRoot: string
  worktreePath: string
  taskId: string
  branch: string | null
}

export interface CleanupResult {
  /** Where the final state was recorded; null when there was neither a worktree nor a branch left. */
  archive_ref: string | null
  archive_commit: string | null
  message: string
}

export interface RestoreWorktreeInput {
  repoRoot: string
  taskId: string
  worktreePath: string
  branch: string
  copyIgnoredGlobs?: string[]
}

export interface RestoreResult {
  worktreePath: string
  branch: string
  archive_commit: string
}

/**
 * Removes a task's worktree and branch without losing anything: the final state (commits,
 * uncommitted and untracked files) is first recorded as a commit under
 * `refs/openruntime/archive/<taskId>` whose parent is the worktree's HEAD.
 */
export async function cleanupWorktree(input: CleanupWorktreeInput): Promise<CleanupResult> {
  assertTaskId(input.taskId)
  if (input.branch && !input.branch.startsWith('openruntime/')) {
    throw new AppError(
      'invalid',
      'invalid_branch',
      `${input.branch} is not a task branch; refusing to delete it`,
    )
  }
  const repo = await requireRepo(input.repoRoot)
  const present = await isDirectory(input.worktreePath)
  if (present && !(await isLinkedWorktreeOf(repo, input.worktreePath))) {
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `${input.worktreePath} is not a worktree of ${repo.root}; refusing to delete it`,
    )
  }
  // Snapshotting reads only this task's worktree, so it happens before queueing for the repository.
  const [tree, head] = present
    ? await Promise.all([snapshotTree(input.worktreePath), resolveCommit(input.worktreePath, 'HEAD')])
    : [null, null]
  return withRepoLock(repo.commonDir, async () => {
    const branchTip = input.branch ? await resolveCommit(repo.root, `refs/heads/${input.branch}`) : null
    // With the directory gone, the branch's commits are what is left to keep; with neither, an
    // earlier cleanup's archive is reported again.
    const archived = tree
      ? await recordArchive(repo, input, tree, head)
      : branchTip
        ? await recordArchive(repo, input, await treeOf(repo.root, branchTip), branchTip)
        : await resolveCommit(repo.root, archiveRef(input.taskId))
    if (present) {
      // The archive holds everything, so a worktree git refuses to remove (locked, half-registered)
      // is deleted anyway and its registration pruned.
      const removed = await git(repo.root, ['worktree', 'remove', '--force', input.worktreePath]).then(
        () => true,
        () => false,
      )
      await rm(input.worktreePath, { recursive: true, force: true })
      if (!removed) await git(repo.root, ['worktree', 'prune'])
    } else {
      await pruneStaleWorktrees(repo.root)
    }
    if (input.branch && branchTip) await git(repo.root, ['branch', '-D', input.branch])
    const ref = archived ? archiveRef(input.taskId) : null
    return {
      archive_ref: ref,
      archive_commit: archived,
      message: ref ? `worktree removed; final state kept in ${ref}` : 'nothing to clean up',
    }
  })
}

async function recordArchive(repo: RepoInfo, input: CleanupWorktreeInput, tree: string, head: string | null) {
  const message = `openRuntime archive of task ${input.taskId}\n\nbranch: ${input.branch ?? '(detached)'}`
  const parent = head ? ['-p', head] : []
  const commit = (
    await git(repo.root, [...OWN_IDENTITY, 'commit-tree', tree, ...parent, '-m', message])
  ).trim()
  await git(repo.root, [
    'update-ref',
    '-m',
    'openRuntime: archive before cleanup',
    archiveRef(input.taskId),
    commit,
  ])
  return commit
}

/**
 * Brings an archived worktree back: the branch at the archived HEAD, and the archived files on top
 * of it as uncommitted changes (formerly untracked files untracked again).
 */
export async function restoreWorktree(input: RestoreWorktreeInput): Promise<RestoreResult> {
  assertTaskId(input.taskId)
  const repo = await requireRepo(input.repoRoot)
  const ref = archiveRef(input.taskId)
  const archive = await withRepoLock(repo.commonDir, async () => {
    const archive = await resolveCommit(repo.root, ref)
    if (!archive) throw notFound('archive', input.taskId)
    if (await isDirectory(input.worktreePath)) {
      throw conflict('worktree_exists', `${input.worktreePath} already exists; clean it up before restoring`)
    }
    const head = await resolveCommit(repo.root, `${archive}^`)
    if (!head)
      throw new AppError('precondition', 'archive_invalid', `${ref} does not record a HEAD to restore onto`)
    await pruneStaleWorktrees(repo.root)
    await mkdir(dirname(input.worktreePath), { recursive: true })
    const branchExists = await resolveCommit(repo.root, `refs/heads/${input.branch}`)
    await git(
      repo.root,
      branchExists
        ? ['worktree', 'add', input.worktreePath, input.branch]
        : ['worktree', 'add', '-b', input.branch, input.worktreePath, head],
    )
    // Index and files to the archive, then the index alone back to HEAD: the archived edits become
    // uncommitted changes again.
    await git(input.worktreePath, ['read-tree', '--reset', '-u', archive])
    await git(input.worktreePath, ['reset', '-q'])
    return archive
  })
  const carried = await ignoredFilesMatching(repo.root, input.copyIgnoredGlobs ?? [])
  await copyPaths(repo.root, input.worktreePath, carried)
  return { worktreePath: input.worktreePath, branch: input.branch, archive_commit: archive }
}
