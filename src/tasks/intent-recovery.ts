import type { JsonObject, TaskRecord } from '../domain'
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
import type { TaskLifecycle } from '../lifecycle'
import type { TaskMachineEvent } from '../machines/task-machine'
import type { TaskIntent } from '../storage/intents'
import type { Store } from '../storage/store'
import type { TaskOperations } from './task-operations'

export interface IntentOutcome {
  task_id: string
  kind: string
  outcome: string
}

export interface IntentSettlerDeps {
  store: Store
  lifecycle: TaskLifecycle
  operations: TaskOperations
}

/**
 * Ends merges, cleanups and restores whose outcome was never recorded: the repository is brought
 * to one side (untouched, or fully done) and the machine is sent the event that says which
 * (MERGE_DONE or MERGE_ROLLED_BACK, and so on), which also clears the intent and writes an event.
 * Their task is in an intent state (merging, cleaning, restoring) until then.
 */
export class IntentSettler {
  constructor(private readonly deps: IntentSettlerDeps) {}

  /**
   * At start-up, before anything else: every intent the previous server left. One whose task or
   * repository cannot be reached is kept and reported, to be settled at the next start.
   */
  async settleAll(): Promise<IntentOutcome[]> {
    const { store } = this.deps
    const outcomes: IntentOutcome[] = []
    for (const intent of store.intents.list()) {
      const task = store.tasks.get(intent.task_id)
      if (!task) continue
      try {
        const checkout = await checkoutOf(task)
        // The dead server's git may have been holding the repository's locks when it was killed.
        for (const lock of await removeStaleLocks(checkout.repo.root))
          console.log(`recovery: removed ${lock}, left by a git process that died with the server`)
        const outcome = await this.settle(intent, checkout)
        outcomes.push({ task_id: task.id, kind: intent.kind, outcome })
      } catch (error) {
        console.error(
          `recovery: the interrupted ${intent.kind} of task ${task.id} could not be settled`,
          error,
        )
        outcomes.push({
          task_id: task.id,
          kind: intent.kind,
          outcome: `unsettled: ${(error as Error).message}`,
        })
      }
    }
    return outcomes
  }

  /**
   * Before an operation on a task: an intent that no operation holds any more (the database
   * refused to record its outcome) is settled first, so the task leaves its intent state. One
   * whose operation is still at work is left to it: the machine refuses what would disturb it.
   */
  async settleLeftover(taskId: string): Promise<void> {
    const { store, operations } = this.deps
    if (!store.intents.get(taskId) || operations.busy(taskId)) return
    await operations.exclusive(taskId, 'settling an interrupted operation', async () => {
      const intent = store.intents.get(taskId)
      const task = store.tasks.get(taskId)
      if (intent && task) await this.settle(intent, await checkoutOf(task))
    })
  }

  /**
   * Brings one operation's repository to one side and records which. `failure` says why the
   * operation itself could not finish, when it is settling its own intent: a merge is then always
   * rolled back, since its outcome may be what the database refused to record.
   */
  async settle(intent: TaskIntent, checkout: TaskCheckout, failure?: string): Promise<string> {
    const lead = (outcome: string) =>
      failure
        ? `The ${intent.kind} failed (${failure}) and was ${outcome}`
        : `A ${intent.kind} interrupted before it was recorded was ${outcome}`
    switch (intent.kind) {
      case 'merge':
        return this.settleMerge(intent.plan as MergePlan | null, checkout, lead, failure === undefined)
      case 'cleanup': {
        const { archive_commit } = intent.plan as { archive_commit: string | null }
        if ((await finishCleanup(checkout, archive_commit)) === 'completed') {
          this.record(checkout, { type: 'CLEANUP_DONE' }, 'worktree-cleaned', {
            message: `${lead('completed')}: the final state is kept in the archive (${archive_commit?.slice(0, 12) ?? 'nothing to keep'})`,
            metadata: { recovered: 'completed', archive_commit },
          })
          return 'completed'
        }
        this.record(checkout, { type: 'CLEANUP_ROLLED_BACK' }, 'cleanup-rolled-back', {
          message: `${lead('rolled back')}: nothing had been removed yet`,
          metadata: { recovered: 'rolled-back' },
        })
        return 'rolled-back'
      }
      case 'restore':
        await abandonRestore(checkout)
        this.record(checkout, { type: 'RESTORE_ROLLED_BACK' }, 'restore-rolled-back', {
          message: `${lead('rolled back')}: the partial worktree was removed; the archive still holds everything, restore again`,
          metadata: { recovered: 'rolled-back' },
        })
        return 'rolled-back'
    }
  }

  private async settleMerge(
    plan: MergePlan | null,
    checkout: TaskCheckout,
    lead: (outcome: string) => string,
    mayComplete: boolean,
  ): Promise<string> {
    if (mayComplete && plan !== null && (await mergeCompleted(plan))) {
      this.record(checkout, { type: 'MERGE_DONE' }, 'merged', {
        message: `${lead('completed')}: ${plan.root} is at commit ${plan.commit?.slice(0, 12)}`,
        metadata: { strategy: plan.strategy, commit: plan.commit, target: plan.root, recovered: 'completed' },
      })
      return 'completed'
    }
    // Without a plan nothing was to be written: there is nothing to put back.
    const result = plan ? await rollBackMerge(plan) : { restored: [], rescued: null }
    const rescued = result.rescued
      ? `; ${result.rescued.paths.length} of them held content that was neither the old nor the merged one (a file being written when it was interrupted, or an edit since): kept in ${result.rescued.ref}`
      : ''
    this.record(checkout, { type: 'MERGE_ROLLED_BACK' }, 'merge-rolled-back', {
      message: `${lead('rolled back')}: ${result.restored.length} file(s) in ${plan?.root ?? checkout.repo.root} put back as they were${rescued}; the task keeps its changes and can be merged again`,
      metadata: { recovered: 'rolled-back', restored: result.restored.length, rescued: result.rescued },
    })
    return 'rolled-back'
  }

  private record(
    checkout: TaskCheckout,
    event: TaskMachineEvent,
    category: string,
    what: { message: string; metadata: JsonObject },
  ): void {
    this.deps.lifecycle.transition(checkout.taskId, event, { ...what, category })
  }
}

export const checkoutOf = (task: TaskRecord) =>
  locateTaskCheckout(task.workspace, task.id, task.worktree_path)
