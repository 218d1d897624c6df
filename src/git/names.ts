import { join } from 'node:path'
import { AppError } from '../errors.ts'

// Task ids end up in a directory name, a branch name and a ref name; this charset is safe in all three.
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/

export function assertTaskId(taskId: string): void {
  if (!TASK_ID.test(taskId)) {
    throw new AppError(
      'invalid',
      'invalid_task_id',
      `task id ${JSON.stringify(taskId)} cannot name a worktree`,
    )
  }
}

export const taskBranch = (taskId: string) => `openruntime/${taskId.slice(0, 8)}`

export const archiveRef = (taskId: string) => `refs/openruntime/archive/${taskId}`

/** Where openRuntime keeps a repository's task checkouts; listed in the repository's info/exclude. */
export const OWN_DIR = '.openruntime'

export const defaultWorktreePath = (repoRoot: string, taskId: string) =>
  join(repoRoot, OWN_DIR, 'worktrees', taskId)

/** The task's own git directory: its index, HEAD and refs, objects borrowed from the user's repository. */
export const taskGitDirPath = (repoRoot: string, taskId: string) => join(repoRoot, OWN_DIR, 'gitdirs', taskId)

/**
 * The index the server keeps for itself to snapshot a task's files quickly (its stat data spares
 * rehashing unchanged files). No run can write it: the run's own index may say anything.
 */
export const hostIndexPath = (repoRoot: string, taskId: string) =>
  join(repoRoot, OWN_DIR, 'host', `${taskId}.index`)
