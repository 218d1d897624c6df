import type { TaskView } from '../domain'
import type { TaskMachineEvent } from '../machines/task-machine'

/** The buttons a task page offers: only what the task's current state accepts. */
export interface AllowedActions {
  start: 'Start' | 'Restart' | null
  approve: boolean
  stop: boolean
  reply: boolean
  merge: boolean
  /** The checks may run again (the worktree is there, the run settled ready for review). */
  checks: boolean
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
  | 'worktree_merged_at'
  | 'diff_stat'
>

/**
 * Derived from the lifecycle machine (`can`, which the server asks of the task's stored state):
 * whether the task may start, stop, merge, clean up, restore or be deleted is the machine's answer
 * alone. The server re-checks every action anyway.
 */
export function allowedActions(task: ActionTask, can: (event: TaskMachineEvent) => boolean): AllowedActions {
  const awaitingApproval =
    task.state === 'needs-input.approval' ||
    (task.state === 'queued.draft' && task.policy.require_approval && task.approved_at === null)
  return {
    start: can({ type: 'START' }) ? (task.attempts.length === 0 ? 'Start' : 'Restart') : null,
    approve: awaitingApproval && can({ type: 'APPROVE', start: true }),
    stop: can({ type: 'STOP' }),
    // A live process takes a reply; an agent whose run ended continues its session with one.
    reply:
      task.state === 'running.agent' ||
      task.state === 'needs-input.prompt' ||
      (task.runner !== 'shell' && can({ type: 'FOLLOW_UP' })),
    merge: task.diff_stat !== null && can({ type: 'MERGE_BEGIN' }),
    checks: can({ type: 'CHECKS' }),
    cleanup: can({ type: 'CLEANUP_BEGIN' }),
    restore: can({ type: 'RESTORE_BEGIN' }),
    delete: can({ type: 'DELETE' }),
    review: task.worktree_path !== null || task.diff_stat !== null,
    merged:
      task.worktree_merged_at !== null && task.worktree_merged_at >= (task.attempts.at(-1)?.started_at ?? ''),
  }
}
