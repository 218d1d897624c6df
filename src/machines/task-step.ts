import { type ActorScope, createActor } from 'xstate'
import { type TaskMachineEvent, type TaskSnapshot, taskMachine } from './task-machine'

/**
 * One scope for every step of the task machine. XState's `transition()` builds a whole actor for
 * each call, computing the machine's initial state on the way (about half of what a task's
 * transition costs). The machine has no invoked or spawned actors, no timers and no effects (only
 * `assign`), so nothing a step does reaches the scope beyond what this inert one answers.
 */
const owner = createActor(taskMachine, { input: { requiresApproval: false } })
const inertScope = {
  self: owner,
  id: '',
  sessionId: '',
  system: owner.system,
  logger: () => {},
  defer: () => {},
  emit: () => {},
  stopChild: () => {},
  actionExecutor: () => {},
} as unknown as ActorScope<TaskSnapshot, TaskMachineEvent>

/** The snapshot after `event` (the same one XState's `transition(taskMachine, …)` computes). */
export function nextSnapshot(snapshot: TaskSnapshot, event: TaskMachineEvent): TaskSnapshot {
  return taskMachine.transition(snapshot, event, inertScope)
}
