import type { TaskRecord } from '../domain'

/** Where a run executes, as decided by the git layer. */
export interface PreparedWorkspace {
  isolated: boolean
  worktreePath: string | null
  executionDir: string
  baseCommit: string | null
  /** The repository the worktree belongs to; null when not isolated. */
  repoRoot: string | null
  /**
   * The task's own git directory (index, HEAD, refs; the user's objects borrowed read-only). The
   * sandbox makes it writable only when the policy allows git writes.
   */
  gitDir: string | null
  /** The user's object store, which the task's git directory borrows from (read-only inside the sandbox). */
  sharedObjects: string | null
  /** A human sentence for the timeline ("Isolated in worktree …", "not isolated: …"). */
  note: string
}

export interface ChangeSummary {
  has_changes: boolean
  /** Short summary for the task's diff_stat and the `diff` event. */
  stat: string
}

/** What the worker needs from the git layer: prepare a run's directory, and tell what changed. */
export interface Isolation {
  prepare(task: TaskRecord): Promise<PreparedWorkspace>
  /**
   * Brings what the run committed in its own git directory into the user's repository as the task
   * branch (runs allowed to write git); returns the branch tip, or null without a worktree.
   */
  collectCommits(task: TaskRecord): Promise<string | null>
  summarizeChanges(task: TaskRecord): Promise<ChangeSummary | null>
}
