import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { defaultPolicy, emptyLedger, type TaskRecord } from '../../src/domain'
import { EventBus } from '../../src/events/event-bus'
import { EventLog } from '../../src/events/event-log'
import { TaskLifecycle, TransitionRefused } from '../../src/lifecycle'
import type { TaskMachineEvent } from '../../src/machines/task-machine'
import { stateName, worktreeOf } from '../../src/machines/task-state'
import { Store } from '../../src/storage/store'
import { tempDir } from '../support/temp'

/**
 * The lifecycle over a real SQLite file: each call is one unit of work (state, events and the rows
 * that follow from the state in one transaction, published after it), read from the stored
 * snapshot every time.
 */

let dir: ReturnType<typeof tempDir>
let store: Store
let bus: EventBus
let eventLog: EventLog
let lifecycle: TaskLifecycle

beforeEach(() => {
  dir = tempDir()
  store = Store.open(join(dir.path, 'db.sqlite3'))
  bus = new EventBus()
  eventLog = new EventLog(store, bus, { flushMs: 5 })
  lifecycle = new TaskLifecycle(store, eventLog, bus)
})
afterEach(() => {
  store.close()
  dir.cleanup()
})

function newTask(): string {
  const initial = lifecycle.initialSnapshot(false)
  const at = new Date().toISOString()
  const task: TaskRecord = {
    id: randomUUID(),
    title: 't',
    prompt: '',
    runner: 'shell',
    command: 'true',
    model: null,
    workspace: dir.path,
    worktree_path: null,
    execution_workspace: null,
    runner_session_id: null,
    base_commit: null,
    diff_stat: null,
    approved_at: null,
    worktree_merged_at: null,
    worktree_cleaned_at: null,
    group_id: null,
    status: initial.status,
    budget_minutes: 15,
    policy: defaultPolicy(),
    effective_policy: null,
    cost_ledger: emptyLedger(),
    runner_labels: [],
    checks: [],
    criteria: [],
    created_at: at,
    updated_at: at,
  }
  lifecycle.create(task, initial.snapshot)
  return task.id
}

const step = (id: string, event: TaskMachineEvent, attemptId?: string, plan?: unknown) =>
  lifecycle.transition(id, event, { message: event.type, category: 'test', attempt_id: attemptId, plan })

/** Started and claimed, with the attempt row the claim inserts; returns the attempt's id. */
function claimed(id: string, isolated = true): string {
  const attemptId = randomUUID()
  step(id, { type: 'START' })
  lifecycle.transition(
    id,
    { type: 'CLAIM' },
    {
      message: 'claimed',
      category: 'attempt-started',
      attempt_id: attemptId,
      write: (at) =>
        store.attempts.insert({
          id: attemptId,
          task_id: id,
          runner: 'shell',
          status: 'running',
          execution_workspace: null,
          runner_session_id: null,
          started_at: at,
        }),
    },
  )
  step(id, { type: 'PREPARED', isolated }, attemptId)
  return attemptId
}

const attemptStatus = (attemptId: string) => store.attempts.get(attemptId)?.status

describe('the lifecycle', () => {
  test('a transition naming an attempt writes the status its new state implies; one naming none leaves it', () => {
    const id = newTask()
    const attempt = claimed(id)
    expect(attemptStatus(attempt)).toBe('running')
    step(id, { type: 'NEED_INPUT' }, attempt)
    expect(attemptStatus(attempt)).toBe('needs-input')
    step(id, { type: 'RESUME' }, attempt)
    expect(attemptStatus(attempt)).toBe('running')
    step(id, { type: 'EXIT', outcome: 'changes' }, attempt)
    expect(store.tasks.get(id)?.status).toBe('ready-for-review')
    expect(attemptStatus(attempt)).toBe('completed')
    // The merge is the task's, not the attempt's: a failed attempt stays failed once merged.
    const failing = newTask()
    const failed = claimed(failing)
    step(failing, { type: 'EXIT', outcome: 'failed' }, failed)
    expect(attemptStatus(failed)).toBe('failed')
    step(failing, { type: 'MERGE_BEGIN' })
    step(failing, { type: 'MERGE_DONE' })
    expect(store.tasks.get(failing)?.status).toBe('completed')
    expect(attemptStatus(failed)).toBe('failed')
    const stopping = newTask()
    const stopped = claimed(stopping)
    step(stopping, { type: 'STOP' }, stopped)
    expect(attemptStatus(stopped)).toBe('stopped')
  })

  test('the intent row is there exactly while the worktree is in an intent state, with the plan given', () => {
    const id = newTask()
    step(id, { type: 'EXIT', outcome: 'changes' }, claimed(id))
    const plan = { strategy: 'commit', root: '/repo', commit: 'abc' }
    step(id, { type: 'MERGE_BEGIN' }, undefined, plan)
    expect(store.intents.get(id)).toMatchObject({ kind: 'merge', plan })
    step(id, { type: 'MERGE_ROLLED_BACK' })
    expect(store.intents.get(id)).toBeNull()
    step(id, { type: 'CLEANUP_BEGIN' }, undefined, { archive_commit: 'def' })
    expect(store.intents.get(id)).toMatchObject({ kind: 'cleanup', plan: { archive_commit: 'def' } })
    step(id, { type: 'CLEANUP_DONE' })
    expect(store.intents.get(id)).toBeNull()
    step(id, { type: 'RESTORE_BEGIN' }, undefined, {})
    expect(store.intents.get(id)?.kind).toBe('restore')
    step(id, { type: 'RESTORE_DONE' })
    expect(store.intents.list()).toEqual([])
  })

  test("the worktree's timestamps follow its region: merged at MERGE_DONE, cleaned up from CLEANUP_DONE until it is back", () => {
    const id = newTask()
    step(id, { type: 'EXIT', outcome: 'changes' }, claimed(id))
    step(id, { type: 'MERGE_BEGIN' })
    const merged = step(id, { type: 'MERGE_DONE' }).events[0]?.created_at
    expect(store.tasks.get(id)?.worktree_merged_at).toBe(merged as string)
    step(id, { type: 'CLEANUP_BEGIN' })
    expect(store.tasks.get(id)?.worktree_cleaned_at).toBeNull()
    const cleaned = step(id, { type: 'CLEANUP_DONE' }).events[0]?.created_at
    expect(store.tasks.get(id)?.worktree_cleaned_at).toBe(cleaned as string)
    step(id, { type: 'RESTORE_BEGIN' })
    step(id, { type: 'RESTORE_ROLLED_BACK' })
    expect(store.tasks.get(id)?.worktree_cleaned_at).toBe(cleaned as string)
    // A new run makes a new worktree: the task has one again.
    claimed(id)
    expect(store.tasks.get(id)?.worktree_cleaned_at).toBeNull()
    expect(worktreeOf(lifecycle.snapshot(id))).toBe('present')
    expect(store.tasks.get(id)?.worktree_merged_at).toBe(merged as string)
  })

  test('a refused event changes nothing and names the state, the worktree where it decided, and the action', () => {
    const id = newTask()
    claimed(id)
    const before = { snapshot: store.tasks.snapshot(id), events: store.events.maxSeq(id) }
    const refusal = (event: TaskMachineEvent) => {
      try {
        step(id, event)
      } catch (error) {
        return error as TransitionRefused
      }
      throw new Error(`${event.type} was accepted`)
    }
    const start = refusal({ type: 'START' })
    expect(start).toBeInstanceOf(TransitionRefused)
    expect(start.code).toBe('invalid_transition')
    expect(start.message).toBe(`cannot start task ${id}: it is running.agent`)
    const merge = refusal({ type: 'MERGE_BEGIN' })
    expect(merge.message).toBe(`cannot merge task ${id}: it is running.agent (worktree present)`)
    expect(merge.details).toEqual({ state: 'running.agent', worktree: 'present', action: 'merge' })
    expect(refusal({ type: 'DELETE' }).message).toBe(`cannot delete task ${id}: it is running.agent`)
    expect({ snapshot: store.tasks.snapshot(id), events: store.events.maxSeq(id) }).toEqual(before)
  })

  test('a transaction storage refuses leaves state, intent and timeline as they were; the next one continues them', () => {
    const id = newTask()
    step(id, { type: 'EXIT', outcome: 'changes' }, claimed(id))
    const before = { snapshot: store.tasks.snapshot(id), seq: store.events.maxSeq(id) }
    expect(() =>
      lifecycle.transition(
        id,
        { type: 'MERGE_BEGIN' },
        {
          message: 'merging',
          category: 'merge-started',
          plan: { root: '/repo' },
          write: () => {
            throw new Error('disk full')
          },
        },
      ),
    ).toThrow('disk full')
    expect({ snapshot: store.tasks.snapshot(id), seq: store.events.maxSeq(id) }).toEqual(before)
    expect(store.intents.get(id)).toBeNull()
    const next = step(id, { type: 'MERGE_BEGIN' })
    expect(next.events[0]?.seq).toBe(before.seq + 1)
    expect(next.worktree).toBe('merging')
  })

  test('a status change is published once it is stored, a worktree change alone is not', () => {
    const id = newTask()
    expect(store.events.latest(id, 1)[0]).toMatchObject({ seq: 1, message: 'Task created: t' })
    const seen: string[] = []
    bus.onStatus((change) => seen.push(`${change.state} (stored: ${store.tasks.get(id)?.status})`))
    step(id, { type: 'EXIT', outcome: 'changes' }, claimed(id))
    step(id, { type: 'MERGE_BEGIN' })
    step(id, { type: 'MERGE_DONE' })
    expect(seen).toEqual([
      'queued.waiting (stored: queued)',
      'running.agent (stored: running)',
      'ready-for-review (stored: ready-for-review)',
      'completed (stored: completed)',
    ])
  })

  test('DELETE is the machine’s: refused while queued or mid-merge; accepted, the task and all it owns go', () => {
    const id = newTask()
    step(id, { type: 'START' })
    expect(() => lifecycle.delete(id)).toThrow(`cannot delete task ${id}: it is queued.waiting`)
    for (const event of [
      { type: 'CLAIM' },
      { type: 'PREPARED', isolated: true },
      { type: 'EXIT', outcome: 'changes' },
    ] as TaskMachineEvent[])
      step(id, event)
    step(id, { type: 'MERGE_BEGIN' }, undefined, { root: '/repo' })
    expect(() => lifecycle.delete(id)).toThrow(
      `cannot delete task ${id}: it is ready-for-review (worktree being merged)`,
    )
    step(id, { type: 'MERGE_ROLLED_BACK' })
    lifecycle.delete(id)
    expect(store.tasks.get(id)).toBeNull()
    expect(store.events.maxSeq(id)).toBe(0)
    expect(() => lifecycle.snapshot(id)).toThrow(`task ${id} not found`)
  })

  test('each call reads the stored state: a snapshot written by another writer is what the next call sees', () => {
    const id = newTask()
    claimed(id)
    expect(stateName(lifecycle.snapshot(id))).toBe('running.agent')
    // Another lifecycle over the same store (nothing is kept between calls) moves it on.
    new TaskLifecycle(store, eventLog, bus).transition(
      id,
      { type: 'STOP' },
      { message: 'stopped elsewhere', category: 'attempt-stopped' },
    )
    expect(stateName(lifecycle.snapshot(id))).toBe('stopped')
    expect(lifecycle.can(id, { type: 'START' })).toBe(true)
  })
})
