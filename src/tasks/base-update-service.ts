import type { BaseUpdateMode, JsonObject, TaskRecord } from '../domain'
import { conflict } from '../errors'
import type { EventLog } from '../events/event-log'
import {
  type BaseUpdatePlan,
  baseState,
  filesWithMarkers,
  forgetBaseUpdate,
  planBaseUpdate,
  type TaskCheckout,
  undoBaseUpdate,
  writeBaseUpdate,
} from '../git'
import type { TaskLifecycle } from '../lifecycle'
import { worktreeOf } from '../machines/task-state'
import type { BaseUpdateRecord } from '../storage/base-updates'
import type { Store } from '../storage/store'
import { checkoutOf } from './intent-recovery'
import type { TaskOperations } from './task-operations'
import type { TaskService } from './task-service'

export interface BaseUpdateServiceDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  operations: TaskOperations
  tasks: TaskService
}

/** Where the task stands against its target, and the update in progress (a conflict waiting). */
export interface BaseView {
  task_id: string
  base_commit: string | null
  target_commit: string | null
  target_ref: string | null
  behind: number
  update: {
    mode: BaseUpdateMode
    phase: 'writing' | 'conflicted'
    files: string[]
    /** The conflicted files that still hold conflict markers. */
    unresolved: string[]
    flattened: boolean
  } | null
}

const SETTLED = ['ready-for-review', 'completed', 'failed', 'stopped']
const MARKED_LINES = 60

/**
 * Keeping a task up with its target: the user's checkout's HEAD, which may have moved since the
 * task's base. An update is planned in the object store, recorded (with everything needed to undo
 * it) before any file changes, then written; a crash in between is undone at the next start. A
 * conflict stays recorded with its files until they hold no conflict marker (resolved by hand or
 * by the agent, through a follow-up) or the user aborts, which puts the worktree, its git
 * directory and the branch back exactly as they were.
 */
export class BaseUpdateService {
  constructor(private readonly deps: BaseUpdateServiceDeps) {}

  async view(taskId: string): Promise<BaseView> {
    const task = this.deps.tasks.get(taskId)
    const update = await this.settleResolved(task)
    const state = task.worktree_path
      ? await checkoutOf(task).then((checkout) =>
          baseState(checkout.repo, this.deps.tasks.get(taskId).base_commit),
        )
      : { target: null, target_ref: null, behind: 0 }
    const fresh = this.deps.tasks.get(taskId)
    return {
      task_id: taskId,
      base_commit: fresh.base_commit,
      target_commit: state.target,
      target_ref: state.target_ref,
      behind: state.behind,
      update: update && {
        mode: update.record.mode,
        phase: update.record.phase,
        files: update.record.files,
        unresolved: update.unresolved,
        flattened: update.record.plan.flattened,
      },
    }
  }

  /** Refuses (409) while an update waits on a conflict: the worktree holds conflict markers. */
  async assertNoConflict(taskId: string): Promise<void> {
    const update = await this.settleResolved(this.deps.tasks.get(taskId))
    if (update)
      throw conflict(
        'update_in_progress',
        `task ${taskId} is being updated from its base and ${update.unresolved.join(', ')} still hold conflict markers; resolve them or abort the update`,
        { files: update.unresolved },
      )
  }

  async update(taskId: string, mode: BaseUpdateMode) {
    const { store, operations } = this.deps
    const task = this.deps.tasks.get(taskId)
    this.assertUpdatable(task)
    if (store.baseUpdates.get(taskId))
      throw conflict(
        'update_in_progress',
        `task ${taskId} has an update from base in progress; resolve or abort it first`,
      )
    return operations.exclusive(taskId, 'an update from base', async () => {
      const checkout = await checkoutOf(task)
      const plan = await planBaseUpdate(checkout, task.base_commit, mode)
      if (!plan)
        return {
          status: 'up-to-date' as const,
          files: [],
          message: `task ${taskId} is already on its target`,
        }
      this.commit(
        taskId,
        'base-update-started',
        `Updating from ${plan.target.slice(0, 12)} (${mode})`,
        { mode, target: plan.target },
        () =>
          store.baseUpdates.record({
            task_id: taskId,
            mode,
            phase: 'writing',
            plan,
            files: [],
            created_at: new Date().toISOString(),
          }),
      )
      try {
        await writeBaseUpdate(checkout, plan)
      } catch (error) {
        await this.rollBack(checkout, plan, `the update failed (${(error as Error).message})`)
        throw error
      }
      const meta = {
        mode,
        target: plan.target,
        old_base: plan.oldBase,
        tip: plan.newTip,
        flattened: plan.flattened,
      }
      if (plan.conflicts.length > 0) {
        this.commit(
          taskId,
          'base-update-conflicted',
          `The update from ${plan.target.slice(0, 12)} conflicts in ${plan.conflicts.join(', ')}: resolve them (or with the agent), or abort`,
          { ...meta, files: plan.conflicts },
          (at) => {
            store.baseUpdates.conflicted(taskId, plan.conflicts)
            store.tasks.patch(taskId, { base_commit: plan.target }, at)
          },
        )
        throw conflict(
          'update_conflict',
          `updating task ${taskId} from ${plan.target.slice(0, 12)} conflicts in ${plan.conflicts.join(', ')}; the worktree now holds the conflict markers: resolve them (POST /tasks/${taskId}/update-from-base/resolve asks the agent) or abort (POST /tasks/${taskId}/update-from-base/abort puts everything back)`,
          { files: plan.conflicts, mode },
        )
      }
      this.commit(
        taskId,
        'base-updated',
        `Updated from ${plan.target.slice(0, 12)} (${mode}${plan.flattened ? ', the commits now uncommitted on it' : ''})`,
        meta,
        (at) => {
          store.baseUpdates.clear(taskId)
          store.tasks.patch(taskId, { base_commit: plan.target }, at)
        },
      )
      await forgetBaseUpdate(plan)
      return {
        status: 'updated' as const,
        files: [],
        message: `task ${taskId} now starts from ${plan.target.slice(0, 12)}`,
      }
    })
  }

  /** Puts everything back as it was before the update whose conflict waits. */
  async abort(taskId: string) {
    const task = this.deps.tasks.get(taskId)
    this.assertSettled(task)
    const record = this.pending(taskId)
    return this.deps.operations.exclusive(taskId, 'aborting an update from base', async () => {
      const kept = await this.rollBack(await checkoutOf(task), record.plan, 'aborted by the user')
      return {
        message: `the update was aborted; the worktree is as it was before it${kept ? ` (what it held is kept in ${kept})` : ''}`,
        kept_ref: kept,
      }
    })
  }

  /** A follow-up asking the agent to resolve the conflict: the files and their marked regions. */
  async resolveWithAgent(taskId: string, note?: string) {
    const task = this.deps.tasks.get(taskId)
    const record = this.pending(taskId)
    const checkout = await checkoutOf(task)
    const unresolved = await filesWithMarkers(checkout, record.files)
    if (unresolved.length === 0)
      throw conflict(
        'update_resolved',
        `the conflicted files of task ${taskId} hold no conflict markers any more`,
      )
    const message = await conflictText(checkout, record, unresolved, note)
    return { task: await this.deps.tasks.reply(taskId, message), message }
  }

  /** At start-up: an update a crash interrupted while it wrote is undone. */
  async recover(): Promise<{ task_id: string; kind: string; outcome: string }[]> {
    const outcomes: { task_id: string; kind: string; outcome: string }[] = []
    for (const record of this.deps.store.baseUpdates.list()) {
      if (record.phase !== 'writing') continue
      const task = this.deps.store.tasks.get(record.task_id)
      if (!task) continue
      try {
        await this.rollBack(await checkoutOf(task), plannedOf(record), 'interrupted before it was recorded')
        outcomes.push({ task_id: task.id, kind: 'base-update', outcome: 'rolled-back' })
      } catch (error) {
        outcomes.push({
          task_id: task.id,
          kind: 'base-update',
          outcome: `unsettled: ${(error as Error).message}`,
        })
      }
    }
    return outcomes
  }

  private async rollBack(checkout: TaskCheckout, plan: BaseUpdatePlan, why: string): Promise<string | null> {
    const kept = await undoBaseUpdate(checkout, plan)
    this.commit(
      checkout.taskId,
      'base-update-aborted',
      `The update from ${plan.target.slice(0, 12)} was undone (${why}): the worktree is as it was before it`,
      { kept_ref: kept, target: plan.target },
      (at) => {
        this.deps.store.baseUpdates.clear(checkout.taskId)
        this.deps.store.tasks.patch(checkout.taskId, { base_commit: plan.oldBase }, at)
      },
    )
    return kept
  }

  /** A conflicted update whose files hold no marker any more is over: recorded as resolved. */
  private async settleResolved(task: TaskRecord) {
    const record = this.deps.store.baseUpdates.get(task.id)
    if (record?.phase !== 'conflicted') return null
    const unresolved = await filesWithMarkers(await checkoutOf(task), record.files)
    const running = !SETTLED.includes(task.status)
    if (unresolved.length > 0 || running) return { record: plannedRecord(record), unresolved }
    this.commit(
      task.id,
      'base-update-resolved',
      `The conflicts of the update from base are resolved (${record.files.join(', ')})`,
      { files: record.files },
      () => this.deps.store.baseUpdates.clear(task.id),
    )
    await forgetBaseUpdate(plannedOf(record))
    return null
  }

  private pending(taskId: string) {
    const record = this.deps.store.baseUpdates.get(taskId)
    if (record?.phase !== 'conflicted')
      throw conflict('no_update_in_progress', `task ${taskId} has no update from base waiting on a conflict`)
    return plannedRecord(record)
  }

  private assertSettled(task: TaskRecord): void {
    if (!SETTLED.includes(task.status))
      throw conflict(
        'invalid_transition',
        `cannot update task ${task.id} from its base: it is ${task.status}`,
      )
  }

  private assertUpdatable(task: TaskRecord): void {
    this.assertSettled(task)
    const worktree = worktreeOf(this.deps.lifecycle.snapshot(task.id))
    if (!task.worktree_path || worktree !== 'present')
      throw conflict(
        'invalid_transition',
        `cannot update task ${task.id} from its base: it has no worktree (${worktree})`,
      )
    if (this.deps.store.attempts.latest(task.id)?.runner_host_id)
      throw conflict(
        'invalid_transition',
        `cannot update task ${task.id} from its base: its last attempt ran on a runner host`,
      )
  }

  private commit(
    taskId: string,
    category: string,
    message: string,
    metadata: JsonObject,
    write: (at: string) => void,
  ) {
    this.deps.eventLog.commit(
      taskId,
      [{ kind: 'lifecycle', message, metadata: { category, ...metadata } }],
      write,
    )
  }
}

const plannedOf = (record: BaseUpdateRecord) => record.plan as BaseUpdatePlan
const plannedRecord = (record: BaseUpdateRecord) => record as BaseUpdateRecord<BaseUpdatePlan>

/** The follow-up for the agent: which files conflict, which side is which, and the marked regions. */
async function conflictText(
  checkout: TaskCheckout,
  record: BaseUpdateRecord<BaseUpdatePlan>,
  files: string[],
  note?: string,
): Promise<string> {
  const parts: string[] = []
  for (const path of files) {
    const lines = (
      await Bun.file(`${checkout.worktree}/${path}`)
        .text()
        .catch(() => '')
    ).split('\n')
    const shown: string[] = []
    let inside = false
    for (const [i, line] of lines.entries()) {
      if (line.startsWith('<<<<<<< ')) inside = true
      if (inside && shown.length < MARKED_LINES) shown.push(`${String(i + 1).padStart(5)} | ${line}`)
      if (line.startsWith('>>>>>>> ')) {
        inside = false
        if (shown.length < MARKED_LINES) shown.push('      …')
      }
    }
    parts.push([`- ${path}:`, ...shown].join('\n'))
  }
  const lead = [
    `Updating this task from its target (${record.mode}, to ${record.plan.target.slice(0, 12)}) left conflicts in ${files.length} file(s): ${files.join(', ')}.`,
    'In each, the part between "<<<<<<<" and "=======" is the target\'s version, the part between "=======" and ">>>>>>>" is yours. Edit the files so they keep both intents and hold no conflict markers; do not commit.',
  ].join(' ')
  return [lead, ...parts, ...(note?.trim() ? [note.trim()] : [])].join('\n\n')
}
