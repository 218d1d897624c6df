import { describe, expect, test } from 'bun:test'
import { initialTransition, transition } from 'xstate'
import { defaultPolicy } from '../../src/domain'
import { type TaskMachineEvent, taskMachine } from '../../src/machines/task-machine'
import { stateName } from '../../src/machines/task-state'
import { type ActionTask, allowedActions } from '../../src/views/actions'

/** Drives the real lifecycle machine, so the buttons are checked against what the server accepts. */
function machineAfter(events: TaskMachineEvent[], requiresApproval = false) {
  let [snapshot] = initialTransition(taskMachine, { requiresApproval })
  for (const event of events) [snapshot] = transition(taskMachine, snapshot, event)
  return { state: stateName(snapshot), can: (event: TaskMachineEvent) => snapshot.can(event) }
}

const RUN_TO_REVIEW: TaskMachineEvent[] = [
  { type: 'START' },
  { type: 'CLAIM' },
  { type: 'PREPARED', isolated: true },
  { type: 'EXIT', outcome: 'changes' },
]

const task = (state: string, extra: Partial<ActionTask> = {}): ActionTask => ({
  state,
  runner: 'shell',
  attempts: [],
  policy: defaultPolicy(),
  approved_at: null,
  worktree_path: null,
  worktree_merged_at: null,
  diff_stat: null,
  ...extra,
})

const attempt = { started_at: '2026-01-01T00:00:00.000Z' } as ActionTask['attempts'][number]

describe('allowedActions', () => {
  test('a draft can start or be deleted, nothing else', () => {
    const { state, can } = machineAfter([])
    const actions = allowedActions(task(state), can)
    expect(actions).toMatchObject({
      start: 'Start',
      approve: false,
      stop: true,
      reply: false,
      merge: false,
      delete: true,
    })
  })

  test('a task held at the approval gate offers approval and stop, not start', () => {
    const { state, can } = machineAfter([{ type: 'START' }], true)
    expect(state).toBe('needs-input.approval')
    const actions = allowedActions(
      task(state, { policy: { ...defaultPolicy(), require_approval: true } }),
      can,
    )
    expect(actions).toMatchObject({ approve: true, start: null, stop: true, delete: true })
  })

  test('a running shell takes replies and a stop; its worktree is left alone', () => {
    const { state, can } = machineAfter([
      { type: 'START' },
      { type: 'CLAIM' },
      { type: 'PREPARED', isolated: true },
    ])
    const actions = allowedActions(task(state, { attempts: [attempt], worktree_path: '/w' }), can)
    expect(actions).toMatchObject({
      reply: true,
      stop: true,
      start: null,
      cleanup: false,
      delete: false,
      review: true,
    })
  })

  test('a task ready for review can merge, clean up, restart; once merged, cleanup needs no force', () => {
    const { state, can } = machineAfter(RUN_TO_REVIEW)
    const ready = task(state, { attempts: [attempt], worktree_path: '/w', diff_stat: '1 file changed' })
    expect(allowedActions(ready, can)).toMatchObject({
      merge: true,
      cleanup: true,
      start: 'Restart',
      merged: false,
    })
    const merged = machineAfter([...RUN_TO_REVIEW, { type: 'MERGE_BEGIN' }, { type: 'MERGE_DONE' }])
    const after = allowedActions(
      { ...ready, state: merged.state, worktree_merged_at: '2026-01-01T00:01:00.000Z' },
      merged.can,
    )
    expect(after).toMatchObject({ merge: false, cleanup: true, merged: true })
  })

  test('a cleaned-up worktree can only be restored; an agent that finished can be replied to', () => {
    const { state, can } = machineAfter([
      { type: 'START' },
      { type: 'CLAIM' },
      { type: 'PREPARED', isolated: true },
      { type: 'EXIT', outcome: 'no-changes' },
      { type: 'CLEANUP_BEGIN' },
      { type: 'CLEANUP_DONE' },
    ])
    const cleaned = task(state, { attempts: [attempt], worktree_path: '/w', diff_stat: 's' })
    expect(allowedActions(cleaned, can)).toMatchObject({ restore: true, merge: false, cleanup: false })
    expect(allowedActions(task(state, { runner: 'claude-code', attempts: [attempt] }), can).reply).toBe(true)
    expect(allowedActions(task(state, { attempts: [attempt] }), can).reply).toBe(false)
  })

  test('while the worktree is being merged nothing else is offered', () => {
    const { state, can } = machineAfter([...RUN_TO_REVIEW, { type: 'MERGE_BEGIN' }])
    const merging = task(state, { attempts: [attempt], worktree_path: '/w', diff_stat: 's' })
    expect(allowedActions(merging, can)).toMatchObject({
      start: null,
      merge: false,
      cleanup: false,
      restore: false,
      delete: false,
    })
  })

  test('a run in place offers no merge, cleanup or restore', () => {
    const { state, can } = machineAfter([
      { type: 'START' },
      { type: 'CLAIM' },
      { type: 'PREPARED', isolated: false },
      { type: 'EXIT', outcome: 'changes' },
    ])
    const inPlace = task(state, { attempts: [attempt], diff_stat: 's' })
    expect(allowedActions(inPlace, can)).toMatchObject({
      merge: false,
      cleanup: false,
      restore: false,
      delete: true,
    })
  })
})
