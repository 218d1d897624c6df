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
   * The parts of the repository's git directory a worktree writes when it is used (its own
   * `worktrees/<name>`, and the shared objects, refs and logs), so `git add` and `git commit` work
   * inside a sandbox.
   */
  gitDirs: string[]
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
  summarizeChanges(task: TaskRecord): Promise<ChangeSummary | null>
}
