import { describe, expect, test } from 'bun:test'
import { transition } from 'xstate'
import {
  ALL_ACTIONS,
  stateName,
  type TaskMachineContext,
  type TaskMachineEvent,
  taskMachine,
} from '../../src/machines/task-machine'

// The lifecycle as specified, written out by hand: for every state the machine can be in and every
// event (with its variants), where it goes — or "refused". The test checks the machine against it.
type Row = Record<string, string>
const REFUSED = 'refused'

const EVENTS: Record<string, TaskMachineEvent> = {
  START: { type: 'START' },
  'APPROVE+start': { type: 'APPROVE', start: true },
  'APPROVE-start': { type: 'APPROVE', start: false },
  CLAIM: { type: 'CLAIM' },
  NEED_INPUT: { type: 'NEED_INPUT' },
  RESUME: { type: 'RESUME' },
  'EXIT changes': { type: 'EXIT', outcome: 'changes' },
  'EXIT no-changes': { type: 'EXIT', outcome: 'no-changes' },
  'EXIT failed': { type: 'EXIT', outcome: 'failed' },
  FAIL: { type: 'FAIL' },
  STOP: { type: 'STOP' },
  RECOVER: { type: 'RECOVER' },
  MERGE: { type: 'MERGE' },
  FOLLOW_UP: { type: 'FOLLOW_UP' },
}

const refusedAll = (): Row => Object.fromEntries(Object.keys(EVENTS).map((name) => [name, REFUSED]))
const row = (overrides: Row): Row => ({ ...refusedAll(), ...overrides })

const EXITS = {
  'EXIT changes': 'ready-for-review',
  'EXIT no-changes': 'completed',
  'EXIT failed': 'failed',
}

// Without approval required (or already approved).
const FREE: Record<string, Row> = {
  'queued.draft': row({
    START: 'queued.waiting',
    'APPROVE+start': 'queued.waiting',
    'APPROVE-start': 'queued.draft',
    STOP: 'stopped',
    FAIL: 'failed',
  }),
  'queued.waiting': row({ CLAIM: 'running', STOP: 'stopped', FAIL: 'failed' }),
  running: row({
    NEED_INPUT: 'needs-input.prompt',
    ...EXITS,
    FAIL: 'failed',
    STOP: 'stopped',
    RECOVER: 'stopped',
  }),
  'needs-input.prompt': row({
    RESUME: 'running',
    ...EXITS,
    FAIL: 'failed',
    STOP: 'stopped',
    RECOVER: 'stopped',
  }),
  'needs-input.approval': row({
    START: 'queued.waiting',
    'APPROVE+start': 'queued.waiting',
    'APPROVE-start': 'needs-input.approval',
    STOP: 'stopped',
  }),
  'ready-for-review': row({ START: 'queued.waiting', MERGE: 'completed', FOLLOW_UP: 'queued.waiting' }),
  completed: row({ START: 'queued.waiting', FOLLOW_UP: 'queued.waiting' }),
  failed: row({ START: 'queued.waiting', MERGE: 'completed', FOLLOW_UP: 'queued.waiting' }),
  stopped: row({ START: 'queued.waiting', MERGE: 'completed', FOLLOW_UP: 'queued.waiting' }),
}

function snapshotAt(state: string, context: Partial<TaskMachineContext>) {
  const [top, sub] = state.split('.') as [string, string | undefined]
  return taskMachine.resolveState({
    value: sub ? { [top]: sub } : top,
    context: { requiresApproval: false, approved: false, merged: false, starts: 1, ...context },
  })
}

function outcome(state: string, eventName: string, context: Partial<TaskMachineContext> = {}): string {
  const snapshot = snapshotAt(state, context)
  const event = EVENTS[eventName] as TaskMachineEvent
  if (!snapshot.can(event)) return REFUSED
  const [next] = transition(taskMachine, snapshot, event)
  return stateName(next)
}

describe('task machine', () => {
  test('covers every action the machine knows', () => {
    const named = new Set(Object.values(EVENTS).map((event) => event.type))
    expect([...named].sort()).toEqual([...ALL_ACTIONS].sort())
  })

  for (const [state, expectations] of Object.entries(FREE)) {
    for (const [eventName, expected] of Object.entries(expectations)) {
      test(`${state} + ${eventName} → ${expected}`, () => {
        expect(outcome(state, eventName)).toBe(expected)
      })
    }
  }

  test('a task that requires approval is held at the gate instead of queued', () => {
    const held = { requiresApproval: true, approved: false }
    expect(outcome('queued.draft', 'START', held)).toBe('needs-input.approval')
    expect(outcome('needs-input.approval', 'START', held)).toBe(REFUSED)
    expect(outcome('needs-input.approval', 'APPROVE+start', held)).toBe('queued.waiting')
    for (const settled of ['ready-for-review', 'completed', 'failed', 'stopped']) {
      expect(outcome(settled, 'START', held)).toBe('needs-input.approval')
      expect(outcome(settled, 'START', { requiresApproval: true, approved: true })).toBe('queued.waiting')
      // A follow-up never passes the gate: a task stopped there has run nothing to follow up.
      expect(outcome(settled, 'FOLLOW_UP', held)).toBe(REFUSED)
      expect(outcome(settled, 'FOLLOW_UP', { requiresApproval: true, approved: true })).toBe('queued.waiting')
    }
  })

  test('approval with start=false records the approval; a later start runs', () => {
    const snapshot = snapshotAt('needs-input.approval', { requiresApproval: true })
    const [approved] = transition(taskMachine, snapshot, { type: 'APPROVE', start: false })
    expect(approved.context.approved).toBe(true)
    expect(stateName(approved)).toBe('needs-input.approval')
    const [started] = transition(taskMachine, approved, { type: 'START' })
    expect(stateName(started)).toBe('queued.waiting')
  })

  test('a merged run cannot be merged again, until the task runs again', () => {
    const merged = { merged: true }
    for (const state of ['ready-for-review', 'failed', 'stopped', 'completed']) {
      expect(outcome(state, 'MERGE', merged)).toBe(REFUSED)
    }
    const [restarted] = transition(taskMachine, snapshotAt('completed', merged), { type: 'START' })
    expect(restarted.context.merged).toBe(false)
    expect(restarted.context.starts).toBe(2)
  })

  test('every start counts, so each run has its own queue job', () => {
    let snapshot = snapshotAt('queued.draft', { starts: 0 })
    const path: TaskMachineEvent[] = [
      { type: 'START' },
      { type: 'CLAIM' },
      { type: 'EXIT', outcome: 'no-changes' },
      { type: 'START' },
    ]
    for (const event of path) [snapshot] = transition(taskMachine, snapshot, event)
    expect(snapshot.context.starts).toBe(2)
    expect(stateName(snapshot)).toBe('queued.waiting')
  })

  test('a follow-up is a run of its own: it counts as a start and clears the merge mark', () => {
    const [followed] = transition(taskMachine, snapshotAt('completed', { merged: true, starts: 3 }), {
      type: 'FOLLOW_UP',
    })
    expect(followed.context.starts).toBe(4)
    expect(followed.context.merged).toBe(false)
  })
})
