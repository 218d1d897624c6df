import { initialTransition } from 'xstate'
import type { JsonObject, NewEvent, TaskEvent, TaskRecord, TaskStatus } from '../domain'
import { AppError } from '../errors'
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
  type WorktreeState,
  worktreeOf,
} from '../machines/task-state'
import { nextSnapshot } from '../machines/task-step'
import type { Store } from '../storage/store'
import { writeStateRecords } from './state-records'
import { TaskStates } from './task-states'

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
export class TaskLifecycle extends TaskStates {
  constructor(
    store: Store,
    private readonly eventLog: EventLog,
    private readonly bus: EventBus,
  ) {
    super(store)
  }

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

const persist = (snapshot: TaskSnapshot): string => JSON.stringify(taskMachine.getPersistedSnapshot(snapshot))
