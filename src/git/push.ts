import { AppError, conflict, invalid } from '../errors.ts'
import { gitInRepo, type TaskCheckout } from './checkout.ts'
import { identityFallback } from './exec.ts'
import { importTaskBranch } from './import.ts'
import { snapshotTree, treeOf } from './snapshot.ts'
import { pointTaskBranch } from './task-branch.ts'

export interface PushInput {
  checkout: TaskCheckout
  baseCommit: string | null
  remote: string
  branch: string
  /** The message of the commit made of the worktree's uncommitted changes, if it has any. */
  message: string
}

export interface PushResult {
  remote: string
  branch: string
  commit: string
  /** Whether uncommitted changes were committed onto the task branch first. */
  committed: boolean
}

// A branch name git accepts (check-ref-format's rules that matter here), with no option-like start.
const BRANCH = /^(?![-./])(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock$)(?!.*[/.]$)[A-Za-z0-9._/-]{1,200}$/

/**
 * Pushes the task's work to a remote of the user's repository, as the user: the remote, its URL,
 * the transport and the credentials are the user's own configuration (the user's repository and
 * global git config); nothing of the task's git directory is read, and no hook runs. Uncommitted
 * changes in the worktree are first committed onto the task branch (as the user's identity).
 */
export async function pushTaskBranch(input: PushInput): Promise<PushResult> {
  const { checkout, remote, branch } = input
  const { repo } = checkout
  if (!BRANCH.test(branch)) throw invalid(`branch ${JSON.stringify(branch)} is not a branch name git accepts`)
  const remotes = (await gitInRepo(repo, ['remote'])).split('\n').filter(Boolean)
  if (!remotes.includes(remote)) {
    throw new AppError(
      'invalid',
      'unknown_remote',
      `${repo.root} has no remote ${JSON.stringify(remote)}${remotes.length ? ` (it has ${remotes.join(', ')})` : ' (it has none)'}`,
      { remotes },
    )
  }
  const tip = await importTaskBranch(checkout)
  if (!tip)
    throw new AppError('precondition', 'worktree_missing', `task ${checkout.taskId} has no branch to push`)
  const [tree, tipTree] = await Promise.all([snapshotTree(checkout, input.baseCommit), treeOf(repo, tip)])
  let commit = tip
  if (tree !== tipTree) {
    const identity = await identityFallback(repo.root)
    commit = (
      await gitInRepo(repo, [...identity, 'commit-tree', tree, '-p', tip, '-m', input.message])
    ).trim()
    await pointTaskBranch(checkout, commit, tip)
  }
  try {
    await gitInRepo(repo, ['push', '--porcelain', '--no-verify', remote, `${commit}:refs/heads/${branch}`], {
      userTransport: true,
    })
  } catch (error) {
    const stderr = error instanceof AppError ? String(error.details?.stderr ?? error.message) : String(error)
    throw conflict('push_rejected', `pushing to ${remote} ${branch} failed: ${stderr}`, { remote, branch })
  }
  return { remote, branch, commit, committed: commit !== tip }
}
