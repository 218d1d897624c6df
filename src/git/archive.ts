import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError, conflict, notFound } from '../errors.ts'
import { gitInRepo, type TaskCheckout } from './checkout.ts'
import { copyPaths, ignoredFilesMatching } from './copy-ignored.ts'
import { OWN_IDENTITY, resolveCommit } from './exec.ts'
import { isDirectory } from './files.ts'
import { importTaskBranch } from './import.ts'
import { archiveRef } from './names.ts'
import type { RepoInfo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { snapshotTree, treeOf } from './snapshot.ts'
import { checkOutTaskFiles, removeTaskCheckout, writeGitFile, writeTaskGitDir } from './task-gitdir.ts'

export interface CleanupWorktreeInput {
  checkout: TaskCheckout
  baseCommit: string | null
  /**
   * Called once the archive commit exists and before anything is removed or any ref moves, so the
   * caller can record its intent (a crash after this point is finished by recovery, see
   * finishCleanup). Throwing here leaves everything as it was.
   */
  beforeRemoving?: (archiveCommit: string | null) => void | Promise<void>
  /**
   * The tree of the task's work when a runner host did it (its snapshot): archived on top of the
   * base commit, as the worktree is not here.
   */
  remoteTree?: string | null
}

export interface CleanupResult {
  /** Where the final state was recorded; null when there was neither a worktree nor a branch left. */
  archive_ref: string | null
  archive_commit: string | null
  message: string
}

export interface RestoreWorktreeInput {
  checkout: TaskCheckout
  copyIgnoredGlobs?: string[]
}

export interface RestoreResult {
  worktreePath: string
  branch: string
  archive_commit: string
}

/**
 * Removes a task's checkout and branch without losing anything: the final state (commits,
 * uncommitted and untracked files) is first recorded as a commit under
 * `refs/openruntime/archive/<taskId>` whose parent is the task branch's tip.
 */
export async function cleanupWorktree(input: CleanupWorktreeInput): Promise<CleanupResult> {
  const { checkout } = input
  const { repo } = checkout
  // Snapshotting reads only this task's files, so it happens before queueing for the repository.
  // Commits the run made and nobody collected yet become the archive's history too.
  // A git directory the run broke keeps only its commits out; every file is still archived.
  const [tree, uncollected] = await Promise.all([
    input.remoteTree
      ? input.remoteTree
      : (await isDirectory(checkout.worktree))
        ? snapshotTree(checkout, input.baseCommit)
        : null,
    importTaskBranch(checkout).then(
      () => null,
      (error: Error) => error.message,
    ),
  ])
  return withRepoLock(repo.commonDir, async () => {
    // A runner host's work has no branch here: its archive's HEAD is the base it started from.
    const branchTip = (await branchTipOf(checkout)) ?? (input.remoteTree ? input.baseCommit : null)
    // With the directory gone, the branch's commits are what is left to keep; with neither, an
    // earlier cleanup's archive is reported again.
    const archived = tree
      ? await archiveCommit(checkout, tree, branchTip)
      : branchTip
        ? await archiveCommit(checkout, await treeOf(repo, branchTip), branchTip)
        : await resolveCommit(repo.commonDir, archiveRef(checkout.taskId), { gitDir: repo.commonDir })
    await input.beforeRemoving?.(archived)
    if (archived) await setArchiveRef(repo, checkout.taskId, archived)
    await removeCheckoutAndBranch(checkout)
    const ref = archived ? archiveRef(checkout.taskId) : null
    const note = uncollected
      ? ` (commits the run made in its own git directory could not be read, only its files are kept: ${uncollected})`
      : ''
    return {
      archive_ref: ref,
      archive_commit: archived,
      message: ref ? `worktree removed; final state kept in ${ref}${note}` : 'nothing to clean up',
    }
  })
}

/**
 * Recovery of a cleanup interrupted by a crash: once the archive ref holds the recorded commit
 * everything is kept, so the removal is completed; before that nothing was removed yet, so there is
 * nothing to undo. Says which.
 */
export async function finishCleanup(
  checkout: TaskCheckout,
  archiveCommit: string | null,
): Promise<'completed' | 'rolled-back'> {
  const { repo } = checkout
  return withRepoLock(repo.commonDir, async () => {
    const recorded = await resolveCommit(repo.commonDir, archiveRef(checkout.taskId), {
      gitDir: repo.commonDir,
    })
    if (archiveCommit !== null && recorded !== archiveCommit) return 'rolled-back'
    await removeCheckoutAndBranch(checkout)
    return 'completed'
  })
}

async function removeCheckoutAndBranch(checkout: TaskCheckout): Promise<void> {
  await removeTaskCheckout(checkout)
  if (await branchTipOf(checkout))
    await gitInRepo(checkout.repo, ['update-ref', '-d', `refs/heads/${checkout.branch}`])
}

const branchTipOf = (checkout: TaskCheckout) =>
  resolveCommit(checkout.repo.commonDir, `refs/heads/${checkout.branch}`, { gitDir: checkout.repo.commonDir })

async function archiveCommit(checkout: TaskCheckout, tree: string, head: string | null): Promise<string> {
  const message = `openRuntime archive of task ${checkout.taskId}\n\nbranch: ${checkout.branch}`
  const parent = head ? ['-p', head] : []
  return (
    await gitInRepo(checkout.repo, [...OWN_IDENTITY, 'commit-tree', tree, ...parent, '-m', message])
  ).trim()
}

async function setArchiveRef(repo: RepoInfo, taskId: string, commit: string): Promise<void> {
  await gitInRepo(repo, [
    'update-ref',
    '-m',
    'openRuntime: archive before cleanup',
    archiveRef(taskId),
    commit,
  ])
}

/**
 * Brings an archived checkout back: the branch at the archived HEAD, and the archived files on top
 * of it as uncommitted changes (formerly untracked files untracked again).
 */
export async function restoreWorktree(input: RestoreWorktreeInput): Promise<RestoreResult> {
  const { checkout } = input
  const { repo } = checkout
  const ref = archiveRef(checkout.taskId)
  const archive = await withRepoLock(repo.commonDir, async () => {
    const archive = await resolveCommit(repo.commonDir, ref, { gitDir: repo.commonDir })
    if (!archive) throw notFound('archive', checkout.taskId)
    if (await isDirectory(checkout.worktree)) {
      throw conflict('worktree_exists', `${checkout.worktree} already exists; clean it up before restoring`)
    }
    const head = await resolveCommit(repo.commonDir, `${archive}^`, { gitDir: repo.commonDir })
    if (!head)
      throw new AppError('precondition', 'archive_invalid', `${ref} does not record a HEAD to restore onto`)
    const branchTip = await branchTipOf(checkout)
    if (!branchTip) await gitInRepo(repo, ['update-ref', `refs/heads/${checkout.branch}`, head, ''])
    const start = branchTip ?? head
    try {
      await mkdir(checkout.worktree, { recursive: true })
      await writeTaskGitDir(checkout, start)
      await writeGitFile(checkout)
      // Files and index to the archive (the server's index keeps exactly that), then the task's
      // index alone back to its HEAD: the archived edits become uncommitted changes again.
      await checkOutTaskFiles(checkout, archive)
      await gitInRepo(repo, ['read-tree', start], { indexFile: join(checkout.gitDir, 'index') })
    } catch (error) {
      // Nothing was there before: whatever this restore made goes, the archive still has it all.
      await removeTaskCheckout(checkout).catch(() => undefined)
      throw error
    }
    return archive
  })
  const carried = await ignoredFilesMatching(repo.root, input.copyIgnoredGlobs ?? [])
  await copyPaths(repo.root, checkout.worktree, carried)
  return { worktreePath: checkout.worktree, branch: checkout.branch, archive_commit: archive }
}

/** Recovery of a restore interrupted by a crash: the partial checkout goes; the archive still holds everything. */
export async function abandonRestore(checkout: TaskCheckout): Promise<void> {
  await withRepoLock(checkout.repo.commonDir, () => removeTaskCheckout(checkout))
}
