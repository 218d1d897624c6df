import type { TaskDiff, TaskRecord } from '../domain'
import type { PreparedWorkspace as GitPreparedWorkspace } from '../git'

/** Where a run executes, as decided by the git layer (the branch is the git layer's own business). */
export type PreparedWorkspace = Omit<GitPreparedWorkspace, 'branch'>

/** Whether the run changed anything, and the diff's stat for the task's diff_stat and the `diff` event. */
export type ChangeSummary = Pick<TaskDiff, 'has_changes' | 'stat'>

/** What the worker needs from the git layer: prepare a run's directory, and tell what changed. */
export interface Isolation {
  prepare(task: TaskRecord): Promise<PreparedWorkspace>
  /**
   * Brings what the run committed in its own git directory into the user's repository as the task
   * branch (runs allowed to write git); returns the branch tip, or null without a worktree.
   */
  collectCommits(task: TaskRecord): Promise<string | null>
  summarizeChanges(task: TaskRecord): Promise<ChangeSummary | null>
  /** The task's patch against its base, cut at `maxBytes` (what a reviewer grades); null without a worktree. */
  patch(task: TaskRecord, maxBytes: number): Promise<string | null>
}
