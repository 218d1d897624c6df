import { dirname } from 'node:path'
import { AppError } from '../errors.ts'
import { type GitOptions, git } from './exec.ts'
import { assertTaskId, defaultWorktreePath, hostIndexPath, taskBranch, taskGitDirPath } from './names.ts'
import { type RepoInfo, requireRepo } from './repo.ts'

/**
 * Where a task's checkout lives, derived from the user's repository and the task id alone: no path
 * is ever read from the worktree or from the task's git directory, which a run may have rewritten.
 */
export interface TaskCheckout {
  taskId: string
  repo: RepoInfo
  worktree: string
  gitDir: string
  hostIndex: string
  branch: string
}

export function taskCheckout(repo: RepoInfo, taskId: string): TaskCheckout {
  assertTaskId(taskId)
  return {
    taskId,
    repo,
    worktree: defaultWorktreePath(repo.root, taskId),
    gitDir: taskGitDirPath(repo.root, taskId),
    hostIndex: hostIndexPath(repo.root, taskId),
    branch: taskBranch(taskId),
  }
}

/**
 * The checkout of a task started from `workspace` (any directory inside the user's repository). A
 * record naming any other worktree path is refused rather than acted on.
 */
export async function locateTaskCheckout(
  workspace: string,
  taskId: string,
  recordedWorktree: string | null = null,
): Promise<TaskCheckout> {
  const checkout = taskCheckout(await requireRepo(workspace), taskId)
  if (recordedWorktree !== null && recordedWorktree !== checkout.worktree) {
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `task ${taskId} records its worktree at ${recordedWorktree}, not at ${checkout.worktree} where openRuntime keeps it`,
    )
  }
  return checkout
}

export const hostDir = (checkout: TaskCheckout) => dirname(checkout.hostIndex)

/**
 * The one way the server runs git on a task's files: the user's repository is the only git
 * directory and its configuration the only one read (with exec.ts's hardening on top), the
 * worktree is plain files, and the index is the server's own. git never looks at the worktree's
 * `.git`, a `commondir` or `config.worktree` a run could have written, so no hook, fsmonitor,
 * filter or driver a run configured can run here.
 */
export function gitOnTaskFiles(checkout: TaskCheckout, args: string[], indexFile: string): Promise<string> {
  return git(checkout.repo.commonDir, args, {
    gitDir: checkout.repo.commonDir,
    workTree: checkout.worktree,
    indexFile,
  })
}

/** git on the user's repository as a store of objects and refs (no working tree, no index). */
export function gitInRepo(repo: RepoInfo, args: string[], options: Omit<GitOptions, 'gitDir'> = {}) {
  return git(repo.commonDir, args, { ...options, gitDir: repo.commonDir })
}
