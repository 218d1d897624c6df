import type { TaskView } from '../domain'
import type { TaskMachineEvent } from '../machines/task-machine'

/** The buttons a task page offers: only what the task's current state accepts. */
export interface AllowedActions {
  start: 'Start' | 'Restart' | null
  approve: boolean
  stop: boolean
  reply: boolean
  merge: boolean
  cleanup: boolean
  restore: boolean
  delete: boolean
  review: boolean
  /** The latest run's changes were merged, so cleaning up loses nothing. */
  merged: boolean
}

export type ActionTask = Pick<
  TaskView,
  | 'state'
  | 'runner'
  | 'attempts'
  | 'policy'
  | 'approved_at'
  | 'worktree_path'
  | 'worktree_cleaned_at'
  | 'worktree_merged_at'
  | 'diff_stat'
>

// A process may be alive in these states: its worktree must not be touched and the task not deleted.
const RUN_ACTIVE = new Set(['queued.waiting', 'running', 'needs-input.prompt'])

/**
 * Derived from the lifecycle machine (`can`, which the server asks the task's actor) plus the
 * worktree facts the machine does not track. The server re-checks every action anyway.
 */
export function allowedActions(task: ActionTask, can: (event: TaskMachineEvent) => boolean): AllowedActions {
  const active = RUN_ACTIVE.has(task.state)
  const hasWorktree = task.worktree_path !== null
  const cleaned = task.worktree_cleaned_at !== null
  const awaitingApproval =
    task.state === 'needs-input.approval' ||
    (task.state === 'queued.draft' && task.policy.require_approval && task.approved_at === null)
  return {
    start: can({ type: 'START' }) ? (task.attempts.length === 0 ? 'Start' : 'Restart') : null,
    approve: awaitingApproval && can({ type: 'APPROVE', start: true }),
    stop: can({ type: 'STOP' }),
    // A live process takes a reply; an agent whose run ended continues its session with one.
    reply:
      task.state === 'running' ||
      task.state === 'needs-input.prompt' ||
      (task.runner !== 'shell' && can({ type: 'FOLLOW_UP' })),
    merge: hasWorktree && !cleaned && task.diff_stat !== null && can({ type: 'MERGE' }),
    cleanup: hasWorktree && !cleaned && !active,
    restore: hasWorktree && cleaned,
    delete: !active,
    review: hasWorktree || task.diff_stat !== null,
    merged:
      task.worktree_merged_at !== null && task.worktree_merged_at >= (task.attempts.at(-1)?.started_at ?? ''),
  }
}
