import { initialTransition } from 'xstate'
import type { JsonObject, NewEvent, TaskEvent, TaskRecord, TaskStatus } from '../domain'
import { AppError, notFound } from '../errors'
import type { EventBus } from '../events/event-bus'
import type { EventLog } from '../events/event-log'
import {
  type TaskMachineContext,
  type TaskMachineEvent,
  type TaskSnapshot,
  taskMachine,
} from '../machines/task-machine'
import {
  actionName,
  describeState,
  stateName,
  statusOf,
  storedStateName,
  type WorktreeState,
  worktreeOf,
} from '../machines/task-state'
import { nextSnapshot } from '../machines/task-step'
import type { Store } from '../storage/store'
import { writeStateRecords } from './state-records'

export class TransitionRefused extends AppError {
  constructor(taskId: string, snapshot: TaskSnapshot, event: TaskMachineEvent) {
    const action = actionName(event)
    super(
      'conflict',
      'invalid_transition',
      `cannot ${action} task ${taskId}: it is ${describeState(snapshot, event)}`,
      {
        state: stateName(snapshot),
        worktree: worktreeOf(snapshot),
        action,
      },
    )
  }
}

/** What a transition records besides the state change itself. */
export interface TransitionEffects {
  /** The lifecycle event's text; metadata gets category, status, from and state added (worktree when it moved). */
  message: string
  category: string
  metadata?: JsonObject
  /** The attempt the transition is about: the event names it, and its status follows the new state. */
  attempt_id?: string | null
  /** What git is about to do, stored with the intent state a transition enters (MERGE_BEGIN, …). */
  plan?: unknown
  /** Further events written in the same transaction, after the lifecycle event. */
  extraEvents?: NewEvent[]
  /** Row changes that must commit together with the state (attempt rows, timestamps, the run outbox). */
  write?: (at: string, next: { state: string; context: TaskMachineContext }) => void
}

export interface TransitionResult {
  from: TaskStatus
  status: TaskStatus
  state: string
  worktree: WorktreeState
  context: TaskMachineContext
  events: TaskEvent[]
}

/**
 * Owns every state change of a task. Each call reads the task's stored snapshot and asks the
 * machine (XState's pure functions: nothing lives between calls); a refused event changes nothing.
 * An accepted one is one unit of work: the new snapshot, the status, the rows that follow from the
 * state (state-records.ts), the caller's rows and the events, in one transaction, published once
 * it committed.
 */
export class TaskLifecycle {
  constructor(
    private readonly store: Store,
    private readonly eventLog: EventLog,
    private readonly bus: EventBus,
  ) {}

  /** The initial snapshot for a new task (persisted by the caller together with the row). */
  initialSnapshot(requiresApproval: boolean): { snapshot: string; status: TaskStatus } {
    const [snapshot] = initialTransition(taskMachine, { requiresApproval })
    return { snapshot: persist(snapshot), status: statusOf(snapshot) }
  }

  /** Stores a new task in its initial state (from `initialSnapshot`) with its creation event, in one unit. */
  create(task: TaskRecord, snapshot: string): void {
    this.eventLog.commit(
      task.id,
      [
        {
          kind: 'lifecycle',
          message: `Task created: ${task.title}`,
          metadata: { category: 'created', status: task.status },
        },
      ],
      () => this.store.tasks.insert(task, snapshot),
      task.created_at,
    )
  }

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

  /** Throws TransitionRefused unless the task's current state accepts the event. */
  assertCan(taskId: string, event: TaskMachineEvent): void {
    this.accepted(taskId, event)
  }

  transition(taskId: string, event: TaskMachineEvent, effects: TransitionEffects): TransitionResult {
    const before = this.accepted(taskId, event)
    const after = nextSnapshot(before, event)
    const from = statusOf(before)
    const status = statusOf(after)
    const state = stateName(after)
    const worktree = worktreeOf(after)
    const moved = worktree !== worktreeOf(before) ? { worktree } : {}
    const events = this.eventLog.commit(
      taskId,
      [
        {
          kind: 'lifecycle',
          attempt_id: effects.attempt_id ?? null,
          message: effects.message,
          metadata: { category: effects.category, ...effects.metadata, status, from, state, ...moved },
        },
        ...(effects.extraEvents ?? []),
      ],
      (at) => {
        effects.write?.(at, { state, context: after.context })
        writeStateRecords(this.store, {
          taskId,
          before,
          after,
          persisted: persist(after),
          attemptId: effects.attempt_id ?? null,
          plan: effects.plan,
          at,
        })
      },
    )
    const [lifecycle] = events as [TaskEvent, ...TaskEvent[]]
    if (state !== stateName(before))
      this.bus.publishStatus({
        task_id: taskId,
        status,
        from,
        state,
        seq: lifecycle.seq,
        at: lifecycle.created_at,
      })
    return { from, status, state, worktree, context: after.context, events }
  }

  /**
   * DELETE: the task and everything it owns (events, attempts, intents) go in one transaction, if
   * the machine accepts it; its worktree, if any, stays on disk.
   */
  delete(taskId: string): void {
    this.accepted(taskId, { type: 'DELETE' })
    // One statement (the rest cascades); what the event log still buffers for the task goes with it.
    this.store.tasks.delete(taskId)
    this.eventLog.discardTask(taskId)
  }

  /** The task's snapshot, if its state accepts the event. */
  private accepted(taskId: string, event: TaskMachineEvent): TaskSnapshot {
    const snapshot = this.snapshot(taskId)
    if (!snapshot.can(event)) throw new TransitionRefused(taskId, snapshot, event)
    return snapshot
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

const persist = (snapshot: TaskSnapshot): string => JSON.stringify(taskMachine.getPersistedSnapshot(snapshot))

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
