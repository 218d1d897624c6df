import type { NewEvent } from '../domain'
import type { EventLog } from '../events/event-log'
import {
  abandonRestore,
  finishCleanup,
  locateTaskCheckout,
  type MergePlan,
  mergeCompleted,
  removeStaleLocks,
  rollBackMerge,
  type TaskCheckout,
} from '../git'
import type { TaskLifecycle } from '../lifecycle/task-lifecycle'
import type { TaskIntent } from '../storage/intents'
import type { Store } from '../storage/store'

export interface IntentOutcome {
  task_id: string
  kind: string
  outcome: string
}

/**
 * Settles every merge, cleanup and restore the previous server recorded but never finished: the
 * repository is brought to one side (untouched, or fully done), the task's record made to agree,
 * and an event says which. An intent whose task or repository cannot be reached is kept and
 * reported, to be settled at the next start.
 */
export async function finishRepositoryWork(
  store: Store,
  eventLog: EventLog,
  lifecycle: TaskLifecycle,
): Promise<IntentOutcome[]> {
  const outcomes: IntentOutcome[] = []
  for (const intent of store.intents.list()) {
    const task = store.tasks.get(intent.task_id)
    if (!task) continue
    try {
      const checkout = await locateTaskCheckout(task.workspace, task.id, task.worktree_path)
      // The dead server's git may have been holding the repository's locks when it was killed.
      for (const lock of await removeStaleLocks(checkout.repo.root))
        console.log(`recovery: removed ${lock}, left by a git process that died with the server`)
      const outcome = await settleIntent(intent, { checkout, store, eventLog, lifecycle })
      outcomes.push({ task_id: task.id, kind: intent.kind, outcome })
    } catch (error) {
      console.error(`recovery: the interrupted ${intent.kind} of task ${task.id} could not be settled`, error)
      outcomes.push({
        task_id: task.id,
        kind: intent.kind,
        outcome: `unsettled: ${(error as Error).message}`,
      })
    }
  }
  return outcomes
}

export interface SettleContext {
  checkout: TaskCheckout
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
}

/**
 * Brings one interrupted operation's repository to one side and the record into agreement (see
 * finishRepositoryWork). Also run before a new merge, cleanup or restore of a task whose previous
 * one could not clear its intent (the database refused the write).
 */
export async function settleIntent(intent: TaskIntent, ctx: SettleContext): Promise<string> {
  const { store, eventLog } = ctx
  const taskId = intent.task_id
  const record = (event: NewEvent, write?: (at: string) => void) =>
    eventLog.commit(taskId, [event], (at) => {
      write?.(at)
      store.intents.clear(taskId)
    })
  switch (intent.kind) {
    case 'merge':
      return settleMerge(intent.plan as MergePlan, ctx)
    case 'cleanup': {
      const { archive_commit } = intent.plan as { archive_commit: string | null }
      if ((await finishCleanup(ctx.checkout, archive_commit)) === 'completed') {
        record(
          {
            kind: 'lifecycle',
            message: `A cleanup interrupted before it was recorded was completed: the final state is kept in the archive (${archive_commit?.slice(0, 12) ?? 'nothing to keep'})`,
            metadata: { category: 'worktree-cleaned', recovered: 'completed', archive_commit },
          },
          (at) => store.tasks.patch(taskId, { worktree_cleaned_at: at }, at),
        )
        return 'completed'
      }
      record({
        kind: 'lifecycle',
        message: 'A cleanup interrupted before it was recorded was rolled back: nothing had been removed yet',
        metadata: { category: 'cleanup-rolled-back', recovered: 'rolled-back' },
      })
      return 'rolled-back'
    }
    case 'restore':
      await abandonRestore(ctx.checkout)
      record({
        kind: 'lifecycle',
        message:
          'A restore interrupted before it was recorded was rolled back: the partial worktree was removed; the archive still holds everything, restore again',
        metadata: { category: 'restore-rolled-back', recovered: 'rolled-back' },
      })
      return 'rolled-back'
  }
}

async function settleMerge(plan: MergePlan, ctx: SettleContext): Promise<string> {
  const { store, eventLog, lifecycle } = ctx
  const taskId = ctx.checkout.taskId
  if ((await mergeCompleted(plan)) && lifecycle.can(taskId, { type: 'MERGE' })) {
    lifecycle.transition(
      taskId,
      { type: 'MERGE' },
      {
        message: `A merge interrupted before it was recorded was completed: ${plan.root} is at commit ${plan.commit?.slice(0, 12)}`,
        category: 'merged',
        metadata: { strategy: plan.strategy, commit: plan.commit, target: plan.root, recovered: 'completed' },
        write: (at) => {
          store.tasks.patch(taskId, { worktree_merged_at: at }, at)
          store.intents.clear(taskId)
        },
      },
    )
    return 'completed'
  }
  const result = await rollBackMerge(plan)
  const rescued = result.rescued
    ? `; ${result.rescued.paths.length} of them held content that was neither the old nor the merged one (a file being written when it was interrupted, or an edit since): kept in ${result.rescued.ref}`
    : ''
  eventLog.commit(
    taskId,
    [
      {
        kind: 'lifecycle',
        message: `A merge interrupted before it was recorded was rolled back: ${result.restored.length} file(s) in ${plan.root} put back as they were${rescued}; the task keeps its changes and can be merged again`,
        metadata: {
          category: 'merge-rolled-back',
          recovered: 'rolled-back',
          restored: result.restored.length,
          rescued: result.rescued,
        },
      },
    ],
    () => store.intents.clear(taskId),
  )
  return 'rolled-back'
}
