import { AppError, notFound } from '../errors'
import { type TaskMachineEvent, type TaskSnapshot, taskMachine } from '../machines/task-machine'
import { stateName, storedStateName } from '../machines/task-state'
import type { Store } from '../storage/store'

/**
 * What the stored snapshots say, and nothing more: the machine's current state of each task and
 * which events it accepts there. It writes nothing, so a connection that only reads (the pages'
 * thread) can answer it as well as the lifecycle that owns the writes.
 */
export class TaskStates {
  constructor(protected readonly store: Store) {}

  snapshot(taskId: string): TaskSnapshot {
    const stored = this.store.tasks.snapshot(taskId)
    if (stored === null) throw notFound('task', taskId)
    return restore(taskId, stored)
  }

  /**
   * The API's `state` of each task, read from the stored snapshots (one query for a page of tasks);
   * a snapshot is restored only to be refused as the machine would refuse it.
   */
  stateNames(taskIds: readonly string[]): Map<string, string> {
    const stored = this.store.tasks.snapshots(taskIds)
    return new Map(
      taskIds.map((id) => {
        const text = stored.get(id)
        if (text === undefined) throw notFound('task', id)
        return [id, storedStateName(parsed(text)) ?? stateName(restore(id, text))]
      }),
    )
  }

  can(taskId: string, event: TaskMachineEvent): boolean {
    return this.accepting(taskId)(event)
  }

  /**
   * Whether the task's current state accepts an event, for several events: the snapshot is restored
   * once (a page asks about every action it might offer, and a restore costs more than the asking).
   */
  accepting(taskId: string): (event: TaskMachineEvent) => boolean {
    const snapshot = this.snapshot(taskId)
    return (event) => snapshot.can(event)
  }
}

/** A stored snapshot as plain JSON (`{}` where it does not parse: restore() reports that). */
function parsed(stored: string): { status?: unknown; value?: unknown } {
  try {
    const value: unknown = JSON.parse(stored)
    return value && typeof value === 'object' ? value : {}
  } catch {
    return {}
  }
}

/** A stored snapshot as the machine's state; one the machine cannot take is reported, never guessed at. */
function restore(taskId: string, stored: string): TaskSnapshot {
  try {
    const { status, value, context } = JSON.parse(stored)
    if (status === 'active') return taskMachine.resolveState({ value, context })
  } catch {
    // Reported below, as a snapshot that does not parse is.
  }
  throw new AppError(
    'unavailable',
    'task_state_unreadable',
    `the stored state of task ${taskId} cannot be read`,
  )
}
