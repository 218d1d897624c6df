import { type JsonObject, now, type TaskDiffView, type TaskRecord } from '../domain'
import { conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import {
  archiveRef,
  captureDiff,
  cleanupWorktree,
  hasTaskChanges,
  locateTaskCheckout,
  type MergePlan,
  type MergeStrategy,
  mergeTask,
  restoreWorktree,
  rollBackMerge,
  type TaskCheckout,
} from '../git'
import type { TaskLifecycle } from '../lifecycle/task-lifecycle'
import { stateName } from '../machines/task-machine'
import type { Store } from '../storage/store'
import { isWriteRefused } from '../storage/write-failures'
import { settleIntent } from './intent-recovery'
import type { TaskOperations } from './task-operations'

export interface ReviewServiceDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  operations: TaskOperations
  /** The ignored files (globs) a restored worktree gets again, as a new one does. */
  copyGlobsFor: (workspace: string) => string[]
}

const RUN_ACTIVE_STATES = ['queued.waiting', 'running', 'needs-input.prompt']

/**
 * Diff-first review: the live diff, merging into the workspace, and recoverable cleanup. Where git
 * changes the user's repository before the database records it (merge, cleanup, restore), the
 * intent is stored first and cleared in the transaction that records the outcome, so a crash in
 * between is rolled back or completed by recovery (tasks/recovery.ts).
 */
export class ReviewService {
  constructor(private readonly deps: ReviewServiceDeps) {}

  async diff(task: TaskRecord, maxPatchBytes?: number): Promise<TaskDiffView> {
    const base = {
      task_id: task.id,
      worktree_path: task.worktree_path,
      runner_session_id: task.runner_session_id,
      base_commit: task.base_commit,
    }
    if (!task.worktree_path || task.worktree_cleaned_at) {
      return {
        ...base,
        isolated: task.worktree_path !== null,
        stat: task.diff_stat ?? '',
        patch: '',
        files: [],
        additions: 0,
        deletions: 0,
        truncated: false,
        has_changes: false,
      }
    }
    const checkout = await checkoutOf(task)
    const diff = await captureDiff({ checkout, baseCommit: task.base_commit, maxPatchBytes })
    return { ...base, isolated: true, ...diff }
  }

  async merge(task: TaskRecord, options: { strategy?: MergeStrategy; message?: string }) {
    const { lifecycle, operations, store } = this.deps
    lifecycle.assertCan(task.id, { type: 'MERGE' })
    this.requireWorktree(task)
    return operations.exclusive(task.id, 'a merge', async () => {
      const checkout = await this.settledCheckout(task)
      const strategy = options.strategy ?? 'apply'
      let plan: MergePlan | null = null
      const result = await mergeTask({
        checkout,
        repoRoot: checkout.repo.root,
        workspace: task.workspace,
        baseCommit: task.base_commit,
        strategy,
        message: options.message ?? `${task.title}\n\nMerged from openRuntime task ${task.id}`,
        beforeWriting: (planned) => {
          plan = planned
          store.intents.record(task.id, 'merge', planned, now())
        },
      })
      try {
        lifecycle.transition(
          task.id,
          { type: 'MERGE' },
          {
            message: `Merged ${result.merged_files.length} file(s) into ${checkout.repo.root}${result.commit ? ` as commit ${result.commit.slice(0, 12)}` : ' as uncommitted changes'}`,
            category: 'merged',
            metadata: {
              strategy,
              files: result.merged_files,
              commit: result.commit ?? null,
              target: checkout.repo.root,
            },
            write: (at) => {
              store.tasks.patch(task.id, { worktree_merged_at: at }, at)
              store.intents.clear(task.id)
            },
          },
        )
      } catch (error) {
        // The database did not take the merge: the target must not keep it either, or the task
        // would say "not merged" over a merged target and a retry would merge twice.
        if (plan !== null && isWriteRefused(error)) await rollBackMerge(plan)
        throw error
      }
      return { ...result, strategy }
    })
  }

  async cleanup(task: TaskRecord, force: boolean) {
    const { operations, store } = this.deps
    this.requireWorktree(task)
    this.assertNotRunning(task, 'clean up')
    return operations.exclusive(task.id, 'a cleanup', async () => {
      const checkout = await this.settledCheckout(task)
      const merged = this.deps.lifecycle.snapshot(task.id).context.merged
      if (!force && !merged && (await hasTaskChanges(checkout, task.base_commit))) {
        throw conflict(
          'unmerged_changes',
          `task ${task.id} has changes that were never merged; merge them first, or clean up with force=true (the worktree is archived under ${archiveRef(task.id)} either way)`,
        )
      }
      const result = await cleanupWorktree({
        checkout,
        baseCommit: task.base_commit,
        beforeRemoving: (archive) =>
          store.intents.record(task.id, 'cleanup', { archive_commit: archive }, now()),
      })
      this.recordWorktreeChange(task.id, 'cleaned', {
        message: `Worktree removed; its final state is kept under ${result.archive_ref ?? 'no archive (nothing to keep)'}`,
        metadata: {
          category: 'worktree-cleaned',
          archive_ref: result.archive_ref,
          archive_commit: result.archive_commit,
          forced: force,
        },
      })
      return result
    })
  }

  async restore(task: TaskRecord) {
    const { operations, store } = this.deps
    if (!task.worktree_path) throw conflict('not_isolated', `task ${task.id} never had a worktree`)
    if (!task.worktree_cleaned_at)
      throw conflict('worktree_present', `the worktree of task ${task.id} was not cleaned up`)
    return operations.exclusive(task.id, 'a restore', async () => {
      const checkout = await this.settledCheckout(task)
      store.intents.record(task.id, 'restore', {}, now())
      let result: Awaited<ReturnType<typeof restoreWorktree>>
      try {
        result = await restoreWorktree({ checkout, copyIgnoredGlobs: this.deps.copyGlobsFor(task.workspace) })
      } catch (error) {
        store.intents.clear(task.id)
        throw error
      }
      this.recordWorktreeChange(task.id, 'restored', {
        message: `Worktree restored from ${archiveRef(task.id)}`,
        metadata: { category: 'worktree-restored', archive_commit: result.archive_commit },
      })
      return result
    })
  }

  /**
   * The task's checkout, once any earlier merge, cleanup or restore whose outcome the database
   * refused to record is settled (its intent is still there).
   */
  private async settledCheckout(task: TaskRecord): Promise<TaskCheckout> {
    const checkout = await checkoutOf(task)
    const leftover = this.deps.store.intents.get(task.id)
    if (leftover) await settleIntent(leftover, { ...this.deps, checkout })
    return checkout
  }

  /** Records a cleanup or restore: the timestamp, the cleared intent and its lifecycle event in one unit. */
  private recordWorktreeChange(
    taskId: string,
    change: 'cleaned' | 'restored',
    event: { message: string; metadata: JsonObject },
  ): void {
    const { store, eventLog } = this.deps
    eventLog.commit(taskId, [{ kind: 'lifecycle', ...event }], (at) => {
      store.tasks.patch(taskId, { worktree_cleaned_at: change === 'cleaned' ? at : null }, at)
      store.intents.clear(taskId)
    })
  }

  private requireWorktree(task: TaskRecord): string {
    if (!task.worktree_path) {
      throw conflict(
        'not_isolated',
        `task ${task.id} ran directly in its workspace (no git worktree), so there is nothing to merge or clean up`,
      )
    }
    if (task.worktree_cleaned_at) {
      throw conflict('worktree_cleaned', `the worktree of task ${task.id} was cleaned up; restore it first`)
    }
    return task.worktree_path
  }

  private assertNotRunning(task: TaskRecord, action: string): void {
    if (RUN_ACTIVE_STATES.includes(stateName(this.deps.lifecycle.snapshot(task.id)))) {
      throw conflict('task_running', `cannot ${action} task ${task.id} while it runs; stop it first`)
    }
  }
}

const checkoutOf = (task: TaskRecord) => locateTaskCheckout(task.workspace, task.id, task.worktree_path)
