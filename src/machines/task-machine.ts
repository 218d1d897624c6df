import { assign, not, type SnapshotFrom, setup } from 'xstate'
import type { TaskStatus } from '../domain'

/**
 * The task lifecycle, and nothing else: no timers, no invoked actors, no I/O. Workers and the
 * task service do the work and report facts (CLAIM, EXIT, …) as events; the machine decides the
 * next state. A persisted snapshot therefore restores without re-running anything.
 *
 * The top-level state is the wire status. Two states have substates the wire does not show:
 * - queued.draft: created, never started; queued.waiting: a run job is in the queue.
 * - needs-input.approval: held at the approval gate, no process; needs-input.prompt: a live
 *   process is waiting for an answer (a prompt on stdin, or an agent's tool approval).
 *
 * FOLLOW_UP is a reply to an agent whose process has ended: a new run continuing its session.
 */

export interface TaskMachineContext {
  requiresApproval: boolean
  approved: boolean
  /** The changes of the latest run have been merged; cleared by the next start. */
  merged: boolean
  /** Number of STARTs so far; names the queue job of each run. */
  starts: number
}

export type ExitOutcome = 'changes' | 'no-changes' | 'failed'

export type TaskMachineEvent =
  | { type: 'START' }
  | { type: 'APPROVE'; start: boolean }
  | { type: 'CLAIM' }
  | { type: 'NEED_INPUT' }
  | { type: 'RESUME' }
  | { type: 'EXIT'; outcome: ExitOutcome }
  | { type: 'FAIL' }
  | { type: 'STOP' }
  | { type: 'RECOVER' }
  | { type: 'MERGE' }
  | { type: 'FOLLOW_UP' }

export type TaskAction = TaskMachineEvent['type']

export interface TaskMachineInput {
  requiresApproval: boolean
}

/** From a settled state: a new run that continues the agent's session (never past the approval gate). */
const followUp = {
  guard: not('heldForApproval'),
  target: '#task.queued.waiting',
  actions: 'startRun',
} as const

export const taskMachine = setup({
  types: {
    context: {} as TaskMachineContext,
    events: {} as TaskMachineEvent,
    input: {} as TaskMachineInput,
  },
  guards: {
    heldForApproval: ({ context }) => context.requiresApproval && !context.approved,
    approveAndStart: ({ event }) => event.type === 'APPROVE' && event.start,
    exitedWithChanges: ({ event }) => event.type === 'EXIT' && event.outcome === 'changes',
    exitedClean: ({ event }) => event.type === 'EXIT' && event.outcome === 'no-changes',
    notMergedYet: ({ context }) => !context.merged,
  },
  actions: {
    startRun: assign({ starts: ({ context }) => context.starts + 1, merged: false }),
    recordApproval: assign({ approved: true }),
    recordMerge: assign({ merged: true }),
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({
    requiresApproval: input.requiresApproval,
    approved: false,
    merged: false,
    starts: 0,
  }),
  initial: 'queued',
  states: {
    queued: {
      initial: 'draft',
      states: {
        draft: {
          on: {
            START: [
              { guard: 'heldForApproval', target: '#task.needs-input.approval' },
              { target: 'waiting', actions: 'startRun' },
            ],
            APPROVE: [
              { guard: 'approveAndStart', target: 'waiting', actions: ['recordApproval', 'startRun'] },
              { actions: 'recordApproval' },
            ],
          },
        },
        waiting: {
          on: {
            CLAIM: '#task.running',
          },
        },
      },
      on: {
        STOP: '#task.stopped',
        FAIL: '#task.failed',
      },
    },
    running: {
      on: {
        NEED_INPUT: 'needs-input.prompt',
        EXIT: [
          { guard: 'exitedWithChanges', target: 'ready-for-review' },
          { guard: 'exitedClean', target: 'completed' },
          { target: 'failed' },
        ],
        FAIL: 'failed',
        STOP: 'stopped',
        RECOVER: 'stopped',
      },
    },
    'needs-input': {
      initial: 'prompt',
      states: {
        approval: {
          on: {
            APPROVE: [
              {
                guard: 'approveAndStart',
                target: '#task.queued.waiting',
                actions: ['recordApproval', 'startRun'],
              },
              { actions: 'recordApproval' },
            ],
            START: { guard: not('heldForApproval'), target: '#task.queued.waiting', actions: 'startRun' },
          },
        },
        prompt: {
          on: {
            RESUME: '#task.running',
            EXIT: [
              { guard: 'exitedWithChanges', target: '#task.ready-for-review' },
              { guard: 'exitedClean', target: '#task.completed' },
              { target: '#task.failed' },
            ],
            FAIL: '#task.failed',
            RECOVER: '#task.stopped',
          },
        },
      },
      on: {
        STOP: 'stopped',
      },
    },
    'ready-for-review': {
      on: {
        START: [
          { guard: 'heldForApproval', target: '#task.needs-input.approval' },
          { target: '#task.queued.waiting', actions: 'startRun' },
        ],
        FOLLOW_UP: followUp,
        MERGE: { guard: 'notMergedYet', target: 'completed', actions: 'recordMerge' },
      },
    },
    completed: {
      on: {
        START: [
          { guard: 'heldForApproval', target: '#task.needs-input.approval' },
          { target: '#task.queued.waiting', actions: 'startRun' },
        ],
        FOLLOW_UP: followUp,
      },
    },
    failed: {
      on: {
        START: [
          { guard: 'heldForApproval', target: '#task.needs-input.approval' },
          { target: '#task.queued.waiting', actions: 'startRun' },
        ],
        FOLLOW_UP: followUp,
        MERGE: { guard: 'notMergedYet', target: 'completed', actions: 'recordMerge' },
      },
    },
    stopped: {
      on: {
        START: [
          { guard: 'heldForApproval', target: '#task.needs-input.approval' },
          { target: '#task.queued.waiting', actions: 'startRun' },
        ],
        FOLLOW_UP: followUp,
        MERGE: { guard: 'notMergedYet', target: 'completed', actions: 'recordMerge' },
      },
    },
  },
})

export type TaskSnapshot = SnapshotFrom<typeof taskMachine>

/** The wire status of a snapshot: its top-level state. */
export function statusOf(snapshot: TaskSnapshot): TaskStatus {
  const value = snapshot.value
  return (typeof value === 'string' ? value : Object.keys(value)[0]) as TaskStatus
}

/** The full state path, e.g. "queued.waiting", for error messages and the UI. */
export function stateName(snapshot: TaskSnapshot): string {
  const parts: string[] = []
  let value: unknown = snapshot.value
  while (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? []
    if (key === undefined) break
    parts.push(key)
    value = inner
  }
  if (typeof value === 'string') parts.push(value)
  return parts.join('.')
}

export const ALL_ACTIONS: TaskAction[] = [
  'START',
  'APPROVE',
  'CLAIM',
  'NEED_INPUT',
  'RESUME',
  'EXIT',
  'FAIL',
  'STOP',
  'RECOVER',
  'MERGE',
  'FOLLOW_UP',
]
