import { type Actor, createActor } from 'xstate'
import type { JsonObject, NewEvent, TaskEvent, TaskStatus } from '../domain'
import { AppError, notFound } from '../errors'
import type { EventBus } from '../events/event-bus'
import type { EventLog } from '../events/event-log'
import {
  stateName,
  statusOf,
  type TaskMachineContext,
  type TaskMachineEvent,
  type TaskSnapshot,
  taskMachine,
} from '../machines/task-machine'
import type { Store } from '../storage/store'

export class TransitionRefused extends AppError {
  constructor(taskId: string, state: string, action: string) {
    super('conflict', 'invalid_transition', `cannot ${action} task ${taskId}: it is ${state}`, {
      state,
      action,
    })
  }
}

/** What a transition records besides the state change itself. */
export interface TransitionEffects {
  /** The lifecycle event's text; metadata gets category, status and from added. */
  message: string
  category: string
  metadata?: JsonObject
  attempt_id?: string | null
  /** Further events written in the same transaction, after the lifecycle event. */
  extraEvents?: NewEvent[]
  /** Row changes that must commit together with the state (attempt rows, timestamps, the run outbox). */
  write?: (at: string, next: { state: string; context: TaskMachineContext }) => void
}

export interface TransitionResult {
  from: TaskStatus
  status: TaskStatus
  state: string
  context: TaskMachineContext
  events: TaskEvent[]
}

type TaskActor = Actor<typeof taskMachine>

const ACTOR_CACHE_LIMIT = 2000

/**
 * Owns every status change. Each task is an XState actor, restored from its persisted snapshot on
 * demand; a transition is checked against the machine first (refused ones change nothing), then
 * the snapshot, the status column and the lifecycle event are written in one transaction.
 */
export class TaskLifecycle {
  private readonly actors = new Map<string, TaskActor>()

  constructor(
    private readonly store: Store,
    private readonly eventLog: EventLog,
    private readonly bus: EventBus,
  ) {}

  /** The initial snapshot for a new task (persisted by the caller together with the row). */
  initialSnapshot(requiresApproval: boolean): { snapshot: string; status: TaskStatus } {
    const actor = createActor(taskMachine, { input: { requiresApproval } })
    actor.start()
    const snapshot = actor.getSnapshot()
    const persisted = JSON.stringify(actor.getPersistedSnapshot())
    actor.stop()
    return { snapshot: persisted, status: statusOf(snapshot) }
  }

  snapshot(taskId: string): TaskSnapshot {
    return this.actorFor(taskId).getSnapshot()
  }

  can(taskId: string, event: TaskMachineEvent): boolean {
    return this.actorFor(taskId).getSnapshot().can(event)
  }

  /** Throws TransitionRefused unless the task's current state accepts the event. */
  assertCan(taskId: string, event: TaskMachineEvent): void {
    const snapshot = this.actorFor(taskId).getSnapshot()
    if (!snapshot.can(event)) throw new TransitionRefused(taskId, stateName(snapshot), actionName(event))
  }

  transition(taskId: string, event: TaskMachineEvent, effects: TransitionEffects): TransitionResult {
    const actor = this.actorFor(taskId)
    const before = actor.getSnapshot()
    if (!before.can(event)) throw new TransitionRefused(taskId, stateName(before), actionName(event))
    const from = statusOf(before)
    const fromState = stateName(before)

    actor.send(event)
    const after = actor.getSnapshot()
    const status = statusOf(after)
    const state = stateName(after)
    let events: TaskEvent[]
    try {
      events = this.eventLog.commit(
        taskId,
        [
          {
            kind: 'lifecycle',
            attempt_id: effects.attempt_id ?? null,
            message: effects.message,
            metadata: { category: effects.category, ...effects.metadata, status, from, state },
          },
          ...(effects.extraEvents ?? []),
        ],
        (at) => {
          this.store.tasks.setState(taskId, status, JSON.stringify(actor.getPersistedSnapshot()), at)
          effects.write?.(at, { state, context: after.context })
        },
      )
    } catch (error) {
      // The stored state is still the old one: drop the advanced actor so the next use restores it.
      this.evict(taskId)
      throw error
    }
    const [lifecycle] = events as [TaskEvent, ...TaskEvent[]]
    if (state !== fromState)
      this.bus.publishStatus({
        task_id: taskId,
        status,
        from,
        state,
        seq: lifecycle.seq,
        at: lifecycle.created_at,
      })
    return { from, status, state, context: after.context, events }
  }

  evict(taskId: string): void {
    this.actors.get(taskId)?.stop()
    this.actors.delete(taskId)
  }

  private actorFor(taskId: string): TaskActor {
    const cached = this.actors.get(taskId)
    if (cached) {
      // Re-insert to keep the map in least-recently-used order.
      this.actors.delete(taskId)
      this.actors.set(taskId, cached)
      return cached
    }
    const stored = this.store.tasks.snapshot(taskId)
    if (stored === null) throw notFound('task', taskId)
    const actor = createActor(taskMachine, {
      snapshot: JSON.parse(stored),
      input: { requiresApproval: false },
    })
    let restoreError: unknown = null
    // Without an error observer XState rethrows a bad snapshot from a timer and kills the process.
    actor.subscribe({ error: (error) => (restoreError = error) })
    actor.start()
    if (restoreError || actor.getSnapshot().status !== 'active') {
      throw new AppError(
        'unavailable',
        'task_state_unreadable',
        `the stored state of task ${taskId} cannot be read`,
      )
    }
    this.actors.set(taskId, actor)
    if (this.actors.size > ACTOR_CACHE_LIMIT) {
      const oldest = this.actors.keys().next().value
      if (oldest !== undefined) this.evict(oldest)
    }
    return actor
  }
}

function actionName(event: TaskMachineEvent): string {
  return event.type.toLowerCase().replace('_', '-')
}
