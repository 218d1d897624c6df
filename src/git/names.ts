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

export const defaultWorktreePath = (repoRoot: string, taskId: string) =>
  join(repoRoot, '.openruntime', 'worktrees', taskId)
