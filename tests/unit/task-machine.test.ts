import { describe, expect, test } from 'bun:test'
import { initialTransition, transition } from 'xstate'
import {
  ALL_ACTIONS,
  type TaskMachineContext,
  type TaskMachineEvent,
  type TaskSnapshot,
  taskMachine,
} from '../../src/machines/task-machine'
import {
  attemptStatusOf,
  stateName,
  statusOf,
  type WorktreeState,
  worktreeOf,
} from '../../src/machines/task-state'
import { nextSnapshot } from '../../src/machines/task-step'

// The lifecycle as specified, written out by hand: for every state the machine can be in and every
// event (with its variants), where it goes — or "refused". The test checks the machine against it.
type Row = Record<string, string>
const REFUSED = 'refused'

const RUN_EVENTS: Record<string, TaskMachineEvent> = {
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
  FOLLOW_UP: { type: 'FOLLOW_UP' },
  CHECKS: { type: 'CHECKS' },
  REVIEW: { type: 'REVIEW' },
  FIX: { type: 'FIX' },
  DELETE: { type: 'DELETE' },
}

const WORKTREE_EVENTS: Record<string, TaskMachineEvent> = {
  'PREPARED isolated': { type: 'PREPARED', isolated: true },
  'PREPARED in place': { type: 'PREPARED', isolated: false },
  MERGE_BEGIN: { type: 'MERGE_BEGIN' },
  MERGE_DONE: { type: 'MERGE_DONE' },
  MERGE_ROLLED_BACK: { type: 'MERGE_ROLLED_BACK' },
  CLEANUP_BEGIN: { type: 'CLEANUP_BEGIN' },
  CLEANUP_DONE: { type: 'CLEANUP_DONE' },
  CLEANUP_ROLLED_BACK: { type: 'CLEANUP_ROLLED_BACK' },
  RESTORE_BEGIN: { type: 'RESTORE_BEGIN' },
  RESTORE_DONE: { type: 'RESTORE_DONE' },
  RESTORE_ROLLED_BACK: { type: 'RESTORE_ROLLED_BACK' },
}

const EVENTS = { ...RUN_EVENTS, ...WORKTREE_EVENTS }

const rowOf = (events: Record<string, TaskMachineEvent>, overrides: Row): Row => ({
  ...Object.fromEntries(Object.keys(events).map((name) => [name, REFUSED])),
  ...overrides,
})
const row = (overrides: Row) => rowOf(RUN_EVENTS, overrides)

const EXITS = {
  'EXIT changes': 'ready-for-review',
  'EXIT no-changes': 'completed',
  'EXIT failed': 'failed',
}

// The run region, without approval required (or already approved), its worktree at rest.
const RUN: Record<string, Row> = {
  'queued.draft': row({
    START: 'queued.waiting',
    'APPROVE+start': 'queued.waiting',
    'APPROVE-start': 'queued.draft',
    STOP: 'stopped',
    FAIL: 'failed',
    DELETE: 'deleted',
  }),
  'queued.waiting': row({ CLAIM: 'running.agent', STOP: 'stopped', FAIL: 'failed' }),
  'running.agent': row({
    NEED_INPUT: 'needs-input.prompt',
    CHECKS: 'running.checks',
    REVIEW: 'running.review',
    ...EXITS,
    FAIL: 'failed',
    STOP: 'stopped',
    RECOVER: 'stopped',
  }),
  // The checks and the reviewer: the run ends from here, or the fix loop queues the next round.
  'running.checks': row({
    REVIEW: 'running.review',
    FIX: 'queued.waiting',
    ...EXITS,
    FAIL: 'failed',
    STOP: 'stopped',
    RECOVER: 'stopped',
  }),
  'running.review': row({
    FIX: 'queued.waiting',
    ...EXITS,
    FAIL: 'failed',
    STOP: 'stopped',
    RECOVER: 'stopped',
  }),
  'needs-input.prompt': row({
    RESUME: 'running.agent',
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
    DELETE: 'deleted',
  }),
  'ready-for-review': row({
    START: 'queued.waiting',
    FOLLOW_UP: 'queued.waiting',
    CHECKS: 'running.checks',
    DELETE: 'deleted',
  }),
  completed: row({ START: 'queued.waiting', FOLLOW_UP: 'queued.waiting', DELETE: 'deleted' }),
  failed: row({ START: 'queued.waiting', FOLLOW_UP: 'queued.waiting', DELETE: 'deleted' }),
  stopped: row({ START: 'queued.waiting', FOLLOW_UP: 'queued.waiting', DELETE: 'deleted' }),
}

const wtRow = (overrides: Row) => rowOf(WORKTREE_EVENTS, overrides)
const PREPARED = {
  'PREPARED isolated': 'ready-for-review|present',
  'PREPARED in place': 'ready-for-review|none',
}

// The worktree region of a task whose run is ready for review: "run|worktree" after each event.
const WORKTREE: Record<WorktreeState, Row> = {
  none: wtRow(PREPARED),
  present: wtRow({
    ...PREPARED,
    MERGE_BEGIN: 'ready-for-review|merging',
    CLEANUP_BEGIN: 'ready-for-review|cleaning',
  }),
  merging: wtRow({ MERGE_DONE: 'completed|present', MERGE_ROLLED_BACK: 'ready-for-review|present' }),
  cleaning: wtRow({
    CLEANUP_DONE: 'ready-for-review|cleaned',
    CLEANUP_ROLLED_BACK: 'ready-for-review|present',
  }),
  cleaned: wtRow({ ...PREPARED, RESTORE_BEGIN: 'ready-for-review|restoring' }),
  restoring: wtRow({
    RESTORE_DONE: 'ready-for-review|present',
    RESTORE_ROLLED_BACK: 'ready-for-review|cleaned',
  }),
}

function snapshotAt(
  state: string,
  context: Partial<TaskMachineContext> = {},
  worktree: WorktreeState = 'present',
): TaskSnapshot {
  const [top, sub] = state.split('.') as [string, string | undefined]
  return taskMachine.resolveState({
    value: { run: sub ? { [top]: sub } : top, worktree },
    context: { requiresApproval: false, approved: false, merged: false, starts: 1, ...context },
  })
}

function next(snapshot: TaskSnapshot, event: TaskMachineEvent): TaskSnapshot | null {
  if (!snapshot.can(event)) return null
  return nextSnapshot(snapshot, event)
}

/** Where the run region goes, or "refused". */
function outcome(state: string, eventName: string, context: Partial<TaskMachineContext> = {}): string {
  const after = next(snapshotAt(state, context), EVENTS[eventName] as TaskMachineEvent)
  return after ? stateName(after) : REFUSED
}

/** Where both regions go, as "run|worktree", or "refused". */
function both(snapshot: TaskSnapshot, event: TaskMachineEvent): string {
  const after = next(snapshot, event)
  return after ? `${stateName(after)}|${worktreeOf(after)}` : REFUSED
}

const SETTLED = ['ready-for-review', 'completed', 'failed', 'stopped']
const UNSETTLED = [
  'queued.draft',
  'queued.waiting',
  'running.agent',
  'running.checks',
  'running.review',
  'needs-input.prompt',
  'needs-input.approval',
]

describe('task machine', () => {
  test('covers every action the machine knows', () => {
    const named = new Set(Object.values(EVENTS).map((event) => event.type))
    expect([...named].sort()).toEqual([...ALL_ACTIONS].sort())
    expect([...new Set(taskMachine.root.events)].sort()).toEqual([...ALL_ACTIONS].sort())
  })

  test('a new task is a draft without a worktree', () => {
    const [initial] = initialTransition(taskMachine, { requiresApproval: true })
    expect(stateName(initial)).toBe('queued.draft')
    expect(statusOf(initial)).toBe('queued')
    expect(worktreeOf(initial)).toBe('none')
    expect(initial.context).toEqual({ requiresApproval: true, approved: false, merged: false, starts: 0 })
  })

  for (const [state, expectations] of Object.entries(RUN)) {
    for (const [eventName, expected] of Object.entries(expectations)) {
      test(`${state} + ${eventName} → ${expected}`, () => {
        expect(outcome(state, eventName)).toBe(expected)
      })
    }
  }

  for (const [worktree, expectations] of Object.entries(WORKTREE)) {
    for (const [eventName, expected] of Object.entries(expectations)) {
      test(`worktree ${worktree} + ${eventName} → ${expected}`, () => {
        const snapshot = snapshotAt('ready-for-review', {}, worktree as WorktreeState)
        expect(both(snapshot, WORKTREE_EVENTS[eventName] as TaskMachineEvent)).toBe(expected)
      })
    }
  }

  test("a step through the shared scope lands where XState's own transition() does, from every state", () => {
    const worktrees: WorktreeState[] = ['none', 'present', 'merging', 'cleaning', 'cleaned', 'restoring']
    const contexts: Partial<TaskMachineContext>[] = [
      {},
      { approved: true, merged: true, starts: 3 },
      { requiresApproval: true },
    ]
    const persisted = (snapshot: TaskSnapshot) => JSON.stringify(taskMachine.getPersistedSnapshot(snapshot))
    let accepted = 0
    for (const state of [...SETTLED, ...UNSETTLED])
      for (const worktree of worktrees)
        for (const context of contexts)
          for (const event of Object.values(EVENTS)) {
            const before = snapshotAt(state, context, worktree)
            if (before.can(event)) accepted++
            // The same snapshot twice in a row: the shared scope keeps nothing from one step to the next.
            for (let again = 0; again < 2; again++)
              expect(persisted(nextSnapshot(before, event))).toBe(
                persisted(transition(taskMachine, before, event)[0]),
              )
          }
    // Most pairs are refusals (the snapshot stays); enough are accepted for the comparison to mean something.
    expect(accepted).toBeGreaterThan(100)
  })

  test('the worktree is merged, cleaned up or restored only once the run has settled', () => {
    for (const state of UNSETTLED) {
      expect(both(snapshotAt(state), { type: 'MERGE_BEGIN' })).toBe(REFUSED)
      expect(both(snapshotAt(state), { type: 'CLEANUP_BEGIN' })).toBe(REFUSED)
      expect(both(snapshotAt(state, {}, 'cleaned'), { type: 'RESTORE_BEGIN' })).toBe(REFUSED)
    }
    for (const state of SETTLED) {
      expect(both(snapshotAt(state), { type: 'CLEANUP_BEGIN' })).toBe(`${state}|cleaning`)
      expect(both(snapshotAt(state, {}, 'cleaned'), { type: 'RESTORE_BEGIN' })).toBe(`${state}|restoring`)
    }
  })

  test('a merge completes the task, whatever its run ended as; a completed or merged run has nothing to merge', () => {
    for (const state of ['ready-for-review', 'failed', 'stopped']) {
      const merging = next(snapshotAt(state), { type: 'MERGE_BEGIN' }) as TaskSnapshot
      expect(`${stateName(merging)}|${worktreeOf(merging)}`).toBe(`${state}|merging`)
      const merged = next(merging, { type: 'MERGE_DONE' }) as TaskSnapshot
      expect(`${stateName(merged)}|${worktreeOf(merged)}`).toBe('completed|present')
      expect(merged.context.merged).toBe(true)
      expect(both(merging, { type: 'MERGE_ROLLED_BACK' })).toBe(`${state}|present`)
      expect(both(snapshotAt(state, { merged: true }), { type: 'MERGE_BEGIN' })).toBe(REFUSED)
    }
    expect(both(snapshotAt('completed'), { type: 'MERGE_BEGIN' })).toBe(REFUSED)
    const [restarted] = transition(taskMachine, snapshotAt('completed', { merged: true }), { type: 'START' })
    expect(restarted.context.merged).toBe(false)
    expect(restarted.context.starts).toBe(2)
  })

  test('while git is at work on the worktree the task neither starts, follows up nor is deleted, and its workspace is not prepared', () => {
    for (const state of SETTLED) {
      for (const intent of ['merging', 'cleaning', 'restoring'] as const) {
        const busy = snapshotAt(state, {}, intent)
        for (const event of [
          { type: 'START' },
          { type: 'FOLLOW_UP' },
          { type: 'DELETE' },
          { type: 'PREPARED', isolated: true },
        ] as TaskMachineEvent[])
          expect(`${state}|${intent} + ${event.type}: ${both(busy, event)}`).toBe(
            `${state}|${intent} + ${event.type}: ${REFUSED}`,
          )
      }
    }
  })

  test('a new run gives a cleaned-up task a worktree again; one in place has none', () => {
    const running = snapshotAt('running.agent', {}, 'cleaned')
    expect(both(running, { type: 'PREPARED', isolated: true })).toBe('running.agent|present')
    expect(both(running, { type: 'PREPARED', isolated: false })).toBe('running.agent|none')
  })

  test('checks run again only on a worktree that is there and not merged, with git not at work on it', () => {
    const checks = { type: 'CHECKS' } as const
    expect(both(snapshotAt('ready-for-review'), checks)).toBe('running.checks|present')
    expect(both(snapshotAt('ready-for-review', { merged: true }), checks)).toBe(REFUSED)
    for (const worktree of ['none', 'cleaned', 'merging', 'cleaning', 'restoring'] as const)
      expect(`${worktree}: ${both(snapshotAt('ready-for-review', {}, worktree), checks)}`).toBe(
        `${worktree}: ${REFUSED}`,
      )
    // A fix round is a new run: counted, and never held at the approval gate it passed already.
    const fixed = next(snapshotAt('running.checks', { requiresApproval: true, approved: true }), {
      type: 'FIX',
    })
    expect(fixed && stateName(fixed)).toBe('queued.waiting')
    expect(fixed?.context.starts).toBe(2)
  })

  test('a snapshot stored as plain `running` (before the substates) restores as running.agent', () => {
    const stored = taskMachine.resolveState({
      value: { run: 'running', worktree: 'present' },
      context: { requiresApproval: false, approved: false, merged: false, starts: 1 },
    })
    expect(stateName(stored)).toBe('running.agent')
    expect(statusOf(stored)).toBe('running')
  })

  test('a task that requires approval is held at the gate instead of queued', () => {
    const held = { requiresApproval: true, approved: false }
    expect(outcome('queued.draft', 'START', held)).toBe('needs-input.approval')
    expect(outcome('needs-input.approval', 'START', held)).toBe(REFUSED)
    expect(outcome('needs-input.approval', 'APPROVE+start', held)).toBe('queued.waiting')
    for (const settled of SETTLED) {
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

  test('every start counts, so each run has its own queue job', () => {
    let [snapshot] = initialTransition(taskMachine, { requiresApproval: false })
    const path: TaskMachineEvent[] = [
      { type: 'START' },
      { type: 'CLAIM' },
      { type: 'PREPARED', isolated: true },
      { type: 'EXIT', outcome: 'no-changes' },
      { type: 'START' },
    ]
    for (const event of path) [snapshot] = transition(taskMachine, snapshot, event)
    expect(snapshot.context.starts).toBe(2)
    expect(stateName(snapshot)).toBe('queued.waiting')
    expect(worktreeOf(snapshot)).toBe('present')
  })

  test('a follow-up is a run of its own: it counts as a start and clears the merge mark', () => {
    const [followed] = transition(taskMachine, snapshotAt('completed', { merged: true, starts: 3 }), {
      type: 'FOLLOW_UP',
    })
    expect(followed.context.starts).toBe(4)
    expect(followed.context.merged).toBe(false)
  })

  test("an attempt's status is its task's: running, waiting for input, or how it ended", () => {
    const expected: Record<string, string | null> = {
      'queued.draft': null,
      'queued.waiting': null,
      'running.agent': 'running',
      'running.checks': 'running',
      'needs-input.prompt': 'needs-input',
      'needs-input.approval': null,
      'ready-for-review': 'completed',
      completed: 'completed',
      failed: 'failed',
      stopped: 'stopped',
    }
    for (const [state, status] of Object.entries(expected))
      expect(`${state}: ${attemptStatusOf(snapshotAt(state))}`).toBe(`${state}: ${status}`)
  })
})
