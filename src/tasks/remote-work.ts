import type { TaskRecord } from '../domain'
import { type RemoteWork, remoteWork, type TaskCheckout } from '../git'
import type { Store } from '../storage/store'

/**
 * What a task's runner hosts did, for review, cleanup and delete: the newest snapshot its remote
 * attempts pushed (a running one's live snapshot included), or null when the task's work is here
 * (it ran here, or its worktree was restored here) or was cleaned up.
 */
export function remoteWorkOf(
  store: Store,
  task: TaskRecord,
  checkout: TaskCheckout,
): Promise<RemoteWork | null> {
  if (task.worktree_cleaned_at !== null) return Promise.resolve(null)
  const remote = store.attempts
    .list(task.id)
    .filter((attempt) => attempt.runner_host_id)
    .map((attempt) => attempt.id)
    .reverse()
  return remoteWork(checkout, remote)
}
