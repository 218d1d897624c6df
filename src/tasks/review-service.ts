import { now, type TaskRecord } from '../domain'
import { AppError, conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import {
  archiveRef,
  captureDiff,
  cleanupWorktree,
  hasTaskChanges,
  type MergeStrategy,
  mergeTask,
  restoreWorktree,
  type TaskDiff,
  taskBranch,
} from '../git'
import { locateRepo } from '../git/repo'
import { stateName } from '../machines/task-machine'
import type { Store } from '../storage/store'
import type { TaskLifecycle } from './lifecycle'
import type { TaskOperations } from './task-operations'

export interface TaskDiffView extends TaskDiff {
  task_id: string
  isolated: boolean
  worktree_path: string | null
  runner_session_id: string | null
  base_commit: string | null
}

async function requireTaskRepo(task: TaskRecord) {
  const repo = await locateRepo(task.workspace)
  if (!repo)
    throw new AppError('precondition', 'not_a_repository', `${task.workspace} is no longer a git repository`)
  return repo
}

export interface ReviewServiceDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  operations: TaskOperations
}

const RUN_ACTIVE_STATES = ['queued.waiting', 'running', 'needs-input.prompt']

/** Diff-first review: the live diff, merging into the workspace, and recoverable cleanup. */
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
    const diff = await captureDiff({
      worktreePath: task.worktree_path,
      baseCommit: task.base_commit,
      maxPatchBytes,
    })
    return { ...base, isolated: true, ...diff }
  }

  async merge(task: TaskRecord, options: { strategy?: MergeStrategy; message?: string }) {
    const { lifecycle, operations, store } = this.deps
    lifecycle.assertCan(task.id, { type: 'MERGE' })
    const worktree = this.requireWorktree(task)
    return operations.exclusive(task.id, 'a merge', async () => {
      const repo = await requireTaskRepo(task)
      const result = await mergeTask({
        taskId: task.id,
        repoRoot: repo.root,
        workspace: task.workspace,
        worktreePath: worktree,
        baseCommit: task.base_commit,
        strategy: options.strategy ?? 'apply',
        message: options.message ?? `${task.title}\n\nMerged from openRuntime task ${task.id}`,
      })
      const strategy = options.strategy ?? 'apply'
      lifecycle.transition(
        task.id,
        { type: 'MERGE' },
        {
          message: `Merged ${result.merged_files.length} file(s) into ${repo.root}${result.commit ? ` as commit ${result.commit.slice(0, 12)}` : ' as uncommitted changes'}`,
          category: 'merged',
          metadata: {
            strategy,
            files: result.merged_files,
            commit: result.commit ?? null,
            target: repo.root,
          },
          write: (at) => store.tasks.patch(task.id, { worktree_merged_at: at }, at),
        },
      )
      return { ...result, strategy }
    })
  }

  async cleanup(task: TaskRecord, force: boolean) {
    const { operations } = this.deps
    const worktree = this.requireWorktree(task)
    this.assertNotRunning(task, 'clean up')
    return operations.exclusive(task.id, 'a cleanup', async () => {
      const merged = this.deps.lifecycle.snapshot(task.id).context.merged
      if (!force && !merged && (await hasTaskChanges(worktree, task.base_commit))) {
        throw conflict(
          'unmerged_changes',
          `task ${task.id} has changes that were never merged; merge them first, or clean up with force=true (the worktree is archived under ${archiveRef(task.id)} either way)`,
        )
      }
      const repo = await requireTaskRepo(task)
      const result = await cleanupWorktree({
        repoRoot: repo.root,
        worktreePath: worktree,
        taskId: task.id,
        branch: taskBranch(task.id),
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
    const { operations } = this.deps
    if (!task.worktree_path) throw conflict('not_isolated', `task ${task.id} never had a worktree`)
    if (!task.worktree_cleaned_at)
      throw conflict('worktree_present', `the worktree of task ${task.id} was not cleaned up`)
    const worktreePath = task.worktree_path
    return operations.exclusive(task.id, 'a restore', async () => {
      const repo = await requireTaskRepo(task)
      const result = await restoreWorktree({
        repoRoot: repo.root,
        taskId: task.id,
        worktreePath,
        branch: taskBranch(task.id),
      })
      this.recordWorktreeChange(task.id, 'restored', {
        message: `Worktree restored from ${archiveRef(task.id)}`,
        metadata: { category: 'worktree-restored', archive_commit: result.archive_commit },
      })
      return result
    })
  }

  /** Records a cleanup or restore: the timestamp and its lifecycle event in one transaction. */
  private recordWorktreeChange(
    taskId: string,
    change: 'cleaned' | 'restored',
    event: { message: string; metadata: Record<string, unknown> },
  ): void {
    const { store, eventLog } = this.deps
    const at = now()
    eventLog.flush()
    store.transaction(() => {
      store.tasks.patch(taskId, { worktree_cleaned_at: change === 'cleaned' ? at : null }, at)
      eventLog.writeInTransaction(taskId, [{ kind: 'lifecycle', ...event }], at)
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
