import type { TaskSnapshot } from '../machines/task-machine'
import {
  attemptStatusOf,
  type IntentState,
  isIntent,
  statusOf,
  type WorktreeState,
  worktreeOf,
} from '../machines/task-state'
import type { IntentKind } from '../storage/intents'
import type { Store } from '../storage/store'

const INTENT_KINDS: Record<IntentState, IntentKind> = {
  merging: 'merge',
  cleaning: 'cleanup',
  restoring: 'restore',
}

const cleanedUp = (worktree: WorktreeState) => worktree === 'cleaned' || worktree === 'restoring'

export interface StateChange {
  taskId: string
  before: TaskSnapshot
  after: TaskSnapshot
  /** The snapshot as stored. */
  persisted: string
  /** The attempt the transition is about: its status follows the new state. */
  attemptId: string | null
  /** What git is about to do, kept with an intent state until it ends (see migrations/005). */
  plan: unknown
  at: string
}

/**
 * Writes every row that follows from a state change, inside the transition's transaction: the
 * status and snapshot; the named attempt's status; the intent row, present exactly while the
 * worktree is in an intent state; and the worktree's timestamps (merged, cleaned up).
 */
export function writeStateRecords(store: Store, change: StateChange): void {
  const { taskId, before, after, at } = change
  store.tasks.setState(taskId, statusOf(after), change.persisted, at)

  const attemptStatus = change.attemptId === null ? null : attemptStatusOf(after)
  if (change.attemptId !== null && attemptStatus !== null)
    store.attempts.patch(change.attemptId, { status: attemptStatus })

  const [from, to] = [worktreeOf(before), worktreeOf(after)]
  if (from !== to) {
    if (isIntent(from)) store.intents.clear(taskId)
    if (isIntent(to)) store.intents.record(taskId, INTENT_KINDS[to], change.plan ?? null, at)
    if (cleanedUp(from) !== cleanedUp(to))
      store.tasks.patch(taskId, { worktree_cleaned_at: cleanedUp(to) ? at : null }, at)
  }
  if (!before.context.merged && after.context.merged)
    store.tasks.patch(taskId, { worktree_merged_at: at }, at)
}
