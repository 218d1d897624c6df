import type { TaskRecord } from '../domain'
import { type RemoteWork, remoteWork, type TaskCheckout } from '../git'
import type { Store } from '../storage/store'

/**
 * What a task's runner hosts did, for review, cleanup and delete: the newest snapshot its remote
 * attempts pushed (a running one's live snapshot included), or null when the task's work is here
 * (it ran here, or its worktree was restored here) or was cleaned up.
 */
export async function remoteWorkOf(
  store: Store,
  task: TaskRecord,
  checkout: () => Promise<TaskCheckout>,
): Promise<RemoteWork | null> {
  if (task.worktree_cleaned_at !== null) return null
  const remote = store.attempts
    .list(task.id)
    .filter((attempt) => attempt.runner_host_id)
    .map((attempt) => attempt.id)
    .reverse()
  // A task that never ran on a host may have no repository at all (it ran in place).
  return remote.length === 0 ? null : remoteWork(await checkout(), remote)
}
