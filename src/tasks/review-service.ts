import type { TaskDiffView, TaskRecord } from '../domain'
import { conflict } from '../errors'
import {
  archiveRef,
  type ChangedFiles,
  captureDiff,
  changedFiles,
  cleanupWorktree,
  diffTrees,
  hasTaskChanges,
  type MergePlan,
  type MergeStrategy,
  mergeTask,
  restoreWorktree,
  snapshotTree,
  type TaskCheckout,
  treeOf,
} from '../git'
import { remoteWorkOf } from '../hosts'
import type { TaskLifecycle } from '../lifecycle'
import type { Store } from '../storage/store'
import { ChecksService, type GateVerdict } from './checks-service'
import { checkoutOf, type IntentSettler } from './intent-recovery'
import type { TaskOperations } from './task-operations'

/** Results of changesIn kept: a few groups' worth of variants. */
const CHANGES_KEPT = 256

export interface ReviewServiceDeps {
  store: Store
  lifecycle: TaskLifecycle
  operations: TaskOperations
  intents: IntentSettler
  /** The ignored files (globs) a restored worktree gets again, as a new one does. */
  copyGlobsFor: (workspace: string) => string[]
  /** Tells the runner hosts that ran a task that its worktree was cleaned up. */
  discardRemoteWorktrees: (taskId: string) => void
  /** Where the task stands against the checks gate (`require_checks`). */
  gate: (task: TaskRecord) => GateVerdict
}

export interface MergeOptions {
  strategy?: MergeStrategy
  message?: string
  /** Merge although `require_checks` refuses it; needs a reason, and is recorded. */
  force?: boolean
  reason?: string | null
  /** Who asks (recorded with a forced merge). */
  by?: string
}

/** A merge forced past the gate, as it is recorded. */
interface Forced {
  reason: string
  by: string
  failed: string[]
  checkRunId: string | null
}

/**
 * Diff-first review: the live diff, merging into the workspace, and recoverable cleanup. Where git
 * changes the user's repository before the database records it (merge, cleanup, restore), the task
 * enters an intent state first (MERGE_BEGIN, …: the machine stores the plan with it) and leaves it
 * with the event that records the outcome; a crash in between is settled by recovery, an
 * operation that fails half-way settles its own intent. Whether an operation is allowed at all is
 * the machine's answer.
 */
export class ReviewService {
  private readonly changes = new Map<string, ChangedFiles>()

  constructor(private readonly deps: ReviewServiceDeps) {}

  async diff(task: TaskRecord, maxPatchBytes?: number): Promise<TaskDiffView> {
    const base = {
      task_id: task.id,
      worktree_path: task.worktree_path,
      runner_session_id: task.runner_session_id,
      base_commit: task.base_commit,
    }
    const remote = await this.remoteWork(task)
    if (remote !== null) {
      const checkout = await checkoutOf(task)
      const diff = await captureDiff({
        checkout,
        baseCommit: task.base_commit,
        maxPatchBytes,
        tree: remote.tree,
      })
      const age = Math.max(0, Date.now() - Date.parse(remote.taken_at))
      const snapshot = {
        attempt_id: remote.attempt_id,
        commit: remote.commit,
        taken_at: remote.taken_at,
        age_seconds: Number.isFinite(age) ? Math.round(age / 100) / 10 : null,
      }
      return { ...base, isolated: true, ...diff, snapshot }
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

  /**
   * The tree of the task's result as it stands now, written by the server: a runner host's pushed
   * snapshot, else the worktree read as files with the server's own index (snapshotTree); null
   * when there is no worktree (never prepared, or cleaned up).
   */
  async resultTree(task: TaskRecord): Promise<string | null> {
    const remote = (await this.remoteWork(task))?.tree
    if (remote) return remote
    if (!task.worktree_path || task.worktree_cleaned_at) return null
    return snapshotTree(await checkoutOf(task), task.base_commit)
  }

  /**
   * What a result tree changed from the task's base: the files and their counts, no patch. Both
   * ends are object ids, so the answer never changes: it is kept (the newest CHANGES_KEPT).
   */
  async changesIn(task: TaskRecord, tree: string): Promise<ChangedFiles> {
    const { repo } = await checkoutOf(task)
    const from = task.base_commit ?? (await treeOf(repo, null))
    const key = `${repo.commonDir}\0${from}\0${tree}`
    const kept = this.changes.get(key)
    if (kept) return kept
    const changes = await changedFiles(repo, from, tree)
    this.changes.set(key, changes)
    if (this.changes.size > CHANGES_KEPT) this.changes.delete(this.changes.keys().next().value as string)
    return changes
  }

  /** The diff that turns one result tree into another, in the repository of `task` (both are its workspace's). */
  async diffResults(task: TaskRecord, from: string, to: string, maxPatchBytes?: number) {
    return diffTrees((await checkoutOf(task)).repo, from, to, maxPatchBytes)
  }

  /** The task's work on runner hosts (see hosts/remote-work.ts), or null when it is here. */
  private async remoteWork(task: TaskRecord) {
    return remoteWorkOf(this.deps.store, task, () => checkoutOf(task))
  }

  /**
   * The checks gate: with `require_checks`, a merge waits for the latest round of checks (on the
   * latest attempt) to pass, and the 409 names what did not; `force` with a reason goes past it,
   * and says so in the merge's own transition.
   */
  private passGate(task: TaskRecord, options: MergeOptions): Forced | null {
    const reason = ChecksService.reasonOf(options.force, options.reason)
    const policy = task.effective_policy ?? task.policy
    if (!policy.require_checks) return null
    const gate = this.deps.gate(task)
    if (gate.passed) return null
    if (reason === null)
      throw conflict(
        'checks_not_passed',
        `cannot merge task ${task.id}: its policy requires passing checks, and these did not pass: ${gate.failed.join(', ')} (force it with "force": true and a "reason")`,
        { checks: gate.failed, check_run_id: gate.run?.id ?? null },
      )
    return { reason, by: options.by ?? 'local user', failed: gate.failed, checkRunId: gate.run?.id ?? null }
  }

  async merge(task: TaskRecord, options: MergeOptions) {
    const { lifecycle, operations, store } = this.deps
    await this.deps.intents.settleLeftover(task.id)
    lifecycle.assertCan(task.id, { type: 'MERGE_BEGIN' })
    const forced = this.passGate(task, options)
    return operations.exclusive(task.id, 'a merge', async () => {
      const checkout = await checkoutOf(task)
      const taskTree = (await this.remoteWork(task))?.tree
      const strategy = options.strategy ?? 'apply'
      const target = checkout.repo.root
      let began = false
      const begin = (plan: MergePlan | null) => {
        lifecycle.transition(
          task.id,
          { type: 'MERGE_BEGIN' },
          {
            message: `Merging into ${target}${plan?.commit ? ` as commit ${plan.commit.slice(0, 12)}` : ''}`,
            category: 'merge-started',
            metadata: { strategy, target, ...(forced ? { forced: true, forced_by: forced.by } : {}) },
            plan,
            extraEvents: forced
              ? [
                  {
                    kind: 'lifecycle',
                    message: `Merge forced past the checks gate by ${forced.by}: ${forced.reason} (not passed: ${forced.failed.join(', ')})`,
                    metadata: {
                      category: 'merge-forced',
                      forced_by: forced.by,
                      reason: forced.reason,
                      checks: forced.failed,
                      check_run_id: forced.checkRunId,
                    },
                  },
                ]
              : [],
            write: (at) => {
              if (forced)
                store.checks.recordForcedMerge({
                  task_id: task.id,
                  forced_by: forced.by,
                  reason: forced.reason,
                  failed_checks: forced.failed,
                  check_run_id: forced.checkRunId,
                  created_at: at,
                })
            },
          },
        )
        began = true
      }
      return this.settlingOnFailure(
        task,
        checkout,
        () => began,
        async () => {
          const result = await mergeTask({
            checkout,
            repoRoot: target,
            workspace: task.workspace,
            baseCommit: task.base_commit,
            strategy,
            message: options.message ?? `${task.title}\n\nMerged from openRuntime task ${task.id}`,
            beforeWriting: begin,
            taskTree,
          })
          // The target already held every change: nothing was written, so no plan to keep.
          if (!began) begin(null)
          lifecycle.transition(
            task.id,
            { type: 'MERGE_DONE' },
            {
              message: `Merged ${result.merged_files.length} file(s) into ${target}${result.commit ? ` as commit ${result.commit.slice(0, 12)}` : ' as uncommitted changes'}`,
              category: 'merged',
              metadata: { strategy, files: result.merged_files, commit: result.commit ?? null, target },
            },
          )
          return { ...result, strategy }
        },
      )
    })
  }

  async cleanup(task: TaskRecord, force: boolean) {
    const { lifecycle, operations } = this.deps
    await this.deps.intents.settleLeftover(task.id)
    lifecycle.assertCan(task.id, { type: 'CLEANUP_BEGIN' })
    return operations.exclusive(task.id, 'a cleanup', async () => {
      const checkout = await checkoutOf(task)
      const remoteTree = (await remoteWorkOf(this.deps.store, task, async () => checkout))?.tree ?? null
      const merged = lifecycle.snapshot(task.id).context.merged
      if (!force && !merged && (await hasTaskChanges(checkout, task.base_commit, remoteTree))) {
        throw conflict(
          'unmerged_changes',
          `task ${task.id} has changes that were never merged; merge them first, or clean up with force=true (the worktree is archived under ${archiveRef(task.id)} either way)`,
        )
      }
      let began = false
      return this.settlingOnFailure(
        task,
        checkout,
        () => began,
        async () => {
          const result = await cleanupWorktree({
            checkout,
            baseCommit: task.base_commit,
            remoteTree,
            beforeRemoving: (archive) => {
              lifecycle.transition(
                task.id,
                { type: 'CLEANUP_BEGIN' },
                {
                  message: `Cleaning up: the worktree's final state is ${archive ? `archived as ${archive.slice(0, 12)}` : 'empty'}, the worktree is removed`,
                  category: 'cleanup-started',
                  plan: { archive_commit: archive },
                },
              )
              began = true
            },
          })
          lifecycle.transition(
            task.id,
            { type: 'CLEANUP_DONE' },
            {
              message: `Worktree removed; its final state is kept under ${result.archive_ref ?? 'no archive (nothing to keep)'}`,
              category: 'worktree-cleaned',
              metadata: {
                archive_ref: result.archive_ref,
                archive_commit: result.archive_commit,
                forced: force,
              },
            },
          )
          if (remoteTree !== null) this.deps.discardRemoteWorktrees(task.id)
          return result
        },
      )
    })
  }

  async restore(task: TaskRecord) {
    const { lifecycle, operations } = this.deps
    await this.deps.intents.settleLeftover(task.id)
    lifecycle.assertCan(task.id, { type: 'RESTORE_BEGIN' })
    return operations.exclusive(task.id, 'a restore', async () => {
      const checkout = await checkoutOf(task)
      const archive = archiveRef(task.id)
      lifecycle.transition(
        task.id,
        { type: 'RESTORE_BEGIN' },
        { message: `Restoring the worktree from ${archive}`, category: 'restore-started', plan: {} },
      )
      let result: Awaited<ReturnType<typeof restoreWorktree>>
      try {
        result = await restoreWorktree({ checkout, copyIgnoredGlobs: this.deps.copyGlobsFor(task.workspace) })
      } catch (error) {
        // A restore that fails removes what it made itself (and refuses before making anything
        // where a directory is in the way, which must stay): the task is back where it was.
        this.recordOrLeave(task.id, () =>
          lifecycle.transition(
            task.id,
            { type: 'RESTORE_ROLLED_BACK' },
            {
              message: `The restore failed (${(error as Error).message}); the archive still holds everything`,
              category: 'restore-rolled-back',
            },
          ),
        )
        throw error
      }
      lifecycle.transition(
        task.id,
        { type: 'RESTORE_DONE' },
        {
          message: `Worktree restored from ${archive}`,
          category: 'worktree-restored',
          metadata: { archive_commit: result.archive_commit },
          // A runner host's task gets its worktree here: review and merge read it from now on.
          write: (at) => {
            if (task.worktree_path === null)
              this.deps.store.tasks.patch(task.id, { worktree_path: result.worktreePath }, at)
          },
        },
      )
      return result
    })
  }

  /**
   * Runs git work that may enter an intent state. If it fails once the intent is recorded, the
   * repository must not stay half-changed under a task that says otherwise: the intent is settled
   * at once (rolled back, or completed where that is what is left), then the error is rethrown.
   * Where even that cannot be recorded (the database refuses writes), the intent stays for the
   * next operation on the task, or the next start, to settle.
   */
  private async settlingOnFailure<T>(
    task: TaskRecord,
    checkout: TaskCheckout,
    began: () => boolean,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work()
    } catch (error) {
      const intent = began() ? this.deps.store.intents.get(task.id) : null
      if (intent) {
        await this.deps.intents
          .settle(intent, checkout, (error as Error).message)
          .catch((settling) => leftFor(task.id, settling))
      }
      throw error
    }
  }

  private recordOrLeave(taskId: string, record: () => void): void {
    try {
      record()
    } catch (error) {
      leftFor(taskId, error)
    }
  }
}

function leftFor(taskId: string, error: unknown): void {
  console.error(`task ${taskId}: the outcome could not be recorded yet; the next operation settles it`, error)
}
