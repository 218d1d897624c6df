import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import fc from 'fast-check'
import {
  type AttemptRecord,
  AttemptRecordSchema,
  defaultPolicy,
  emptyLedger,
  type RunLimitsRecord,
  TaskEventSchema,
  type TaskRecord,
  TaskRecordSchema,
  type TaskView,
} from '../../src/domain'
import { TaskStates } from '../../src/lifecycle'
import { Store } from '../../src/storage/store'
import type { TaskListQuery } from '../../src/storage/tasks'
import { TaskReads } from '../../src/tasks/task-reads'
import { completedSnapshot } from '../support/seed-history'
import { tempDir } from '../support/temp'

/**
 * Storage maps rows through one column description per table (src/storage/columns.ts): whatever
 * a record holds (text, numbers with fractions, flags that may be false or null, JSON objects
 * that may be null) comes back from a real SQLite file exactly as it went in, and valid against
 * its model.
 */

let dir: ReturnType<typeof tempDir>
let store: Store
beforeEach(() => {
  dir = tempDir()
  store = Store.open(join(dir.path, 'db.sqlite3'))
})
afterEach(() => {
  store?.close()
  dir?.cleanup()
})

const AT = '2026-11-23T10:00:00.000Z'
const LATER = '2026-11-23T10:05:00.000Z'

/** A task with nothing left at its default: every nullable field set, a fractional budget. */
function fullTask(id: string): TaskRecord {
  return {
    id,
    title: 'every field',
    prompt: 'the goal, with "quotes" and ünïcode',
    runner: 'codex',
    command: 'codex app-server (goal: the goal)',
    model: 'gpt-5.5',
    workspace: '/work/repo',
    worktree_path: '/work/repo/.openruntime/worktrees/x',
    execution_workspace: '/work/repo/.openruntime/worktrees/x/sub',
    runner_session_id: 'session-1',
    base_commit: 'a'.repeat(40),
    diff_stat: ' 1 file changed',
    approved_at: AT,
    worktree_merged_at: AT,
    worktree_cleaned_at: AT,
    group_id: 'group-1',
    status: 'ready-for-review',
    budget_minutes: 0.05,
    policy: {
      ...defaultPolicy(),
      network_mode: 'enabled',
      allow_network: true,
      budget_cents: 1234,
      max_runtime_minutes: 30,
      blocked_commands: [],
      allowed_workspaces: ['/work'],
      max_processes: 64,
    },
    effective_policy: { ...defaultPolicy(), require_approval: true, approval_timeout_seconds: 30 },
    cost_ledger: { ...emptyLedger(), input_tokens: 10, estimated_cents: 0.125, runtime_millis: 42 },
    runner_labels: [],
    checks: [],
    criteria: [],
    created_at: AT,
    updated_at: AT,
  }
}

/** A fresh task: every nullable field null. */
function bareTask(id: string): TaskRecord {
  return {
    ...fullTask(id),
    runner: 'shell',
    command: 'true',
    model: null,
    worktree_path: null,
    execution_workspace: null,
    runner_session_id: null,
    base_commit: null,
    diff_stat: null,
    approved_at: null,
    worktree_merged_at: null,
    worktree_cleaned_at: null,
    group_id: null,
    status: 'queued',
    budget_minutes: 15,
    policy: defaultPolicy(),
    effective_policy: null,
    cost_ledger: emptyLedger(),
  }
}

const LIMITS: RunLimitsRecord = {
  processes: { max: 64, enforced_by: 'rlimit', note: 'RLIMIT_NPROC', peak: 12, refused: 0 },
  memory: { max_mb: 100, enforced_by: 'cgroup-v2', note: null, peak_mb: 37, oom_kills: 1 },
  output: { max_mb: 2, enforced_by: 'openruntime', stored_bytes: 2048, dropped_bytes: null },
}

const expectValid = (schema: Parameters<typeof Value.Errors>[0], value: unknown) =>
  expect([...Value.Errors(schema, value)].map((error) => `${error.path}: ${error.message}`)).toEqual([])

describe('tasks', () => {
  test('a task with every field set, and one with every nullable field null, read back as written', () => {
    for (const task of [fullTask('full'), bareTask('bare')]) {
      store.tasks.insert(task, '{}')
      const read = store.tasks.get(task.id)
      expect(read).toEqual(task)
      expectValid(TaskRecordSchema, read)
    }
    expect(store.tasks.list({ limit: 10 }).map((task) => task.id)).toEqual(['full', 'bare'])
  })

  test('a patch writes each field through its column, null and JSON included, and bumps updated_at', () => {
    store.tasks.insert(bareTask('t'), '{}')
    const full = fullTask('t')
    const patch = {
      worktree_path: full.worktree_path,
      execution_workspace: full.execution_workspace,
      runner_session_id: full.runner_session_id,
      base_commit: full.base_commit,
      diff_stat: full.diff_stat,
      approved_at: full.approved_at,
      worktree_merged_at: full.worktree_merged_at,
      worktree_cleaned_at: full.worktree_cleaned_at,
      effective_policy: full.effective_policy,
      cost_ledger: full.cost_ledger,
    }
    store.tasks.patch('t', patch, LATER)
    expect(store.tasks.get('t')).toEqual({ ...bareTask('t'), ...patch, updated_at: LATER })
    store.tasks.patch('t', { worktree_cleaned_at: null, effective_policy: null }, LATER)
    expect(store.tasks.get('t')).toMatchObject({ worktree_cleaned_at: null, effective_policy: null })
    expect(() => store.tasks.patch('t', { worktree: '/elsewhere' } as never, LATER)).toThrow(
      'worktree is not a writable column',
    )
  })

  test('the frozen policy is written once, through the same column', () => {
    store.tasks.insert(bareTask('t'), '{}')
    const frozen = fullTask('t').policy
    expect(store.tasks.freezePolicy('t', frozen, LATER)).toBe(true)
    expect(store.tasks.freezePolicy('t', defaultPolicy(), LATER)).toBe(false)
    expect(store.tasks.get('t')?.effective_policy).toEqual(frozen)
  })

  test('a policy or ledger stored before a field existed reads with its default; a damaged one as the defaults', () => {
    store.db.exec(`INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, effective_policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
      VALUES ('old', 'old', '', 'shell', 'true', '/w', 'completed', 15, '{"allow_git_write":true,"blocked_commands":[]}', 'not json', '{"input_tokens":7}', '{}', '${AT}', '${AT}')`)
    const task = store.tasks.get('old')
    expect(task?.policy).toEqual({ ...defaultPolicy(), allow_git_write: true, blocked_commands: [] })
    expect(task?.effective_policy).toEqual(defaultPolicy())
    expect(task?.cost_ledger).toEqual({ ...emptyLedger(), input_tokens: 7 })
    expect(task?.model).toBeNull()
    expectValid(TaskRecordSchema, task)
  })
})

describe('pages of tasks', () => {
  test('walked page after page, every task comes once, newest first, ties by id, whatever the filter', () => {
    const tasks = fc.array(
      fc.record({
        second: fc.nat(5),
        status: fc.constantFrom('completed' as const, 'failed' as const),
        workspace: fc.constantFrom('/w/a', '/w/b'),
      }),
      { maxLength: 30 },
    )
    const filters = fc.constantFrom<Omit<TaskListQuery, 'limit'>[]>(
      {},
      { status: ['completed'] },
      { workspace: '/w/a' },
    )
    fc.assert(
      fc.property(tasks, filters, fc.integer({ min: 1, max: 4 }), (rows, filter, limit) => {
        store.db.exec('DELETE FROM tasks')
        const written = rows.map(({ second, status, workspace }, i) => {
          const at = new Date(Date.parse(AT) + second * 1000).toISOString()
          const task = { ...bareTask(`t${String(i).padStart(2, '0')}`), status, workspace, updated_at: at }
          store.tasks.insert(task, '{}')
          return task
        })
        const expected = written
          .filter(
            (task) =>
              (!filter.status || filter.status.includes(task.status)) &&
              (!filter.workspace || task.workspace === filter.workspace),
          )
          .sort((a, b) =>
            a.updated_at === b.updated_at ? (a.id < b.id ? 1 : -1) : a.updated_at < b.updated_at ? 1 : -1,
          )
          .map((task) => task.id)
        const walked: string[] = []
        let after: { updated_at: string; id: string } | undefined
        // A page that does not move on would walk forever: more pages than tasks is a failure.
        for (let pages = 0; pages <= rows.length; pages++) {
          const page = store.tasks.list({ limit, after, ...filter })
          walked.push(...page.map((task) => task.id))
          const last = page.at(-1)
          if (page.length < limit || !last) break
          after = { updated_at: last.updated_at, id: last.id }
        }
        expect(walked).toEqual(expected)
      }),
    )
  })
})

describe('recent workspaces', () => {
  test('each workspace once, the one whose task changed last first, ties by name, up to the limit', () => {
    const tasks = fc.array(
      fc.record({ workspace: fc.constantFrom('/w/a', '/w/b', '/w/c', '/w/d', '/w/e'), second: fc.nat(30) }),
      { maxLength: 40 },
    )
    fc.assert(
      fc.property(tasks, fc.integer({ min: 1, max: 6 }), (rows, limit) => {
        store.db.exec('DELETE FROM tasks')
        const newest = new Map<string, string>()
        for (const [i, { workspace, second }] of rows.entries()) {
          const at = new Date(Date.parse(AT) + second * 1000).toISOString()
          store.tasks.insert({ ...bareTask(`t${i}`), workspace, created_at: at, updated_at: at }, '{}')
          if ((newest.get(workspace) ?? '') < at) newest.set(workspace, at)
        }
        const expected = [...newest]
          .sort(([a, atA], [b, atB]) => (atA === atB ? (a < b ? -1 : 1) : atA < atB ? 1 : -1))
          .slice(0, limit)
          .map(([workspace]) => workspace)
        expect(store.tasks.recentWorkspaces(limit)).toEqual(expected)
      }),
    )
  })
})

describe('attempts', () => {
  const started = {
    id: 'a1',
    task_id: 't',
    runner: 'codex' as const,
    status: 'running' as const,
    execution_workspace: null,
    runner_session_id: null,
    started_at: AT,
  }

  test('an attempt reads back as inserted, then with every field patched, false flags and null JSON kept apart', () => {
    store.tasks.insert(bareTask('t'), '{}')
    const inserted = store.attempts.insert(started)
    expect(inserted.attempt_number).toBe(1)
    expect(store.attempts.get('a1')).toEqual(inserted)
    expectValid(AttemptRecordSchema, inserted)

    const patch = {
      status: 'completed',
      execution_workspace: '/w/x',
      runner_session_id: 'session-1',
      finished_at: LATER,
      exit_status: 'exit status: 0',
      summary: 'done',
      sandboxed: false,
      isolated: true,
      limits: LIMITS,
      cost_ledger: { ...emptyLedger(), output_tokens: 5, tool_calls: 2 },
    } satisfies Partial<AttemptRecord>
    store.attempts.patch('a1', { ...patch, stop_reason: 'user' })
    const read = store.attempts.get('a1')
    expect(read).toEqual({ ...inserted, ...patch })
    expectValid(AttemptRecordSchema, read)
    expect(store.attempts.list('t')).toEqual([read as AttemptRecord])

    // stop_reason is written with the record's fields but is not one of them.
    expect(store.db.query('SELECT stop_reason, sandboxed FROM task_attempts').get()).toEqual({
      stop_reason: 'user',
      sandboxed: 0,
    })
    expect(read).not.toHaveProperty('stop_reason')

    store.attempts.patch('a1', { sandboxed: null, limits: null })
    expect(store.attempts.get('a1')).toMatchObject({ sandboxed: null, limits: null })
    const second = store.attempts.insert({ ...started, id: 'a2' })
    expect(store.attempts.latest('t')).toEqual(second)
    expect(second.attempt_number).toBe(2)
  })
})

describe('events', () => {
  test('an event reads back with its rowid as text and its metadata as the object, or null', () => {
    store.tasks.insert(bareTask('t'), '{}')
    const metadata = { category: 'output', nested: { list: [1, 'two', null] } }
    const base = { task_id: 't', attempt_id: null, kind: 'stdout' as const, message: 'hello', created_at: AT }
    const first = store.events.insertMany([
      { ...base, seq: 1, metadata_json: JSON.stringify(metadata) },
      { ...base, seq: 2, attempt_id: 'a1', kind: 'lifecycle', metadata_json: null },
    ])
    const events = store.events.after('t', 0, 10)
    expect(events).toEqual([
      { ...base, id: String(first), seq: 1, metadata },
      { ...base, id: String(first + 1), seq: 2, attempt_id: 'a1', kind: 'lifecycle', metadata: null },
    ])
    for (const event of events) expectValid(TaskEventSchema, event)
  })

  test('the newest events as JSON are the text of the events `latest` reads, whatever their text and metadata', () => {
    store.tasks.insert(bareTask('t'), '{}')
    store.tasks.insert(bareTask('other'), '{}')
    // Any code point, and any UTF-16 unit alone (a lone surrogate, as an agent's JSON can escape one).
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({
        unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
        maxLength: 40,
      }),
    )
    const metadata = fc.oneof(
      fc.constant(null),
      fc
        .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
        .map((value) => JSON.stringify(value)),
      // Damaged, as a crash mid-write could leave it: read as null both ways.
      fc.constantFrom('{broken', '', 'nul'),
      // An agent's tool input nested about as deep as SQLite's JSON parser goes (1,000), and past it.
      fc
        .integer({ min: 995, max: 1005 })
        .map((depth) => `{"input":${'['.repeat(depth)}${']'.repeat(depth)}}`),
    )
    const event = fc.record({
      message: text,
      metadata_json: metadata,
      kind: fc.constantFrom('stdout', 'lifecycle'),
      // Seqs are contiguous as the event log writes them; a gap (as a store written otherwise
      // could hold) must not change which events are the newest.
      gap: fc.oneof(
        { weight: 4, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) },
      ),
    })
    let seq = 0
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 12 }),
        fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant('all' as const)),
        (events, limit) => {
          // Another task's events in between: the rows of one task are not the whole table.
          store.events.insertMany(
            events.flatMap(({ gap, ...e }) => {
              seq += gap
              const row = { task_id: 't', seq, attempt_id: null, created_at: AT, ...e }
              return [row, { ...row, task_id: 'other', message: 'elsewhere' }]
            }),
          )
          const rows = store.events.latest('t', limit === 'all' ? Number.MAX_SAFE_INTEGER : limit)
          const json = store.events.latestJson('t', limit)
          // The very text the events' own objects serialise to, byte for byte.
          expect(new TextDecoder().decode(json.json)).toBe(JSON.stringify(rows))
          expect({ count: json.count, lastSeq: json.lastSeq }).toEqual({
            count: rows.length,
            lastSeq: rows.at(-1)?.seq ?? null,
          })
        },
      ),
      { numRuns: 100 },
    )
  })

  test('a task without events is an empty JSON array', () => {
    store.tasks.insert(bareTask('t'), '{}')
    const empty = { json: new TextEncoder().encode('[]'), count: 0, lastSeq: null }
    expect(store.events.latestJson('t', 100)).toEqual(empty)
    expect(store.events.latestJson('t', 'all')).toEqual(empty)
  })
})

describe('task reads', () => {
  test('a page of tasks is one commit: events another connection commits while it is built are not in it', async () => {
    for (const id of ['a', 'b'])
      store.tasks.insert({ ...bareTask(id), status: 'completed' }, completedSnapshot())
    const event = (task_id: string, seq: number) => ({
      task_id,
      seq,
      attempt_id: null,
      kind: 'stdout' as const,
      message: `line ${seq}`,
      metadata_json: null,
      created_at: AT,
    })
    store.events.insertMany([event('a', 1), event('b', 1)])
    const other = Store.open(join(dir.path, 'db.sqlite3'))
    const reads = new TaskReads(store, new TaskStates(store))
    const latestJson = store.events.latestJson.bind(store.events)
    let committed = false
    // Once the page has read the first task's events, the other connection commits one more for each.
    store.events.latestJson = (taskId, limit) => {
      const read = latestJson(taskId, limit)
      if (!committed) {
        committed = true
        other.transaction(() => other.events.insertMany([event('a', 2), event('b', 2)]))
      }
      return read
    }
    try {
      const counts = async () =>
        (JSON.parse(await reads.pageJson({ limit: 10 }, 100).json.text()) as TaskView[]).map((task) => [
          task.events.length,
          task.last_seq,
        ])
      expect(await counts()).toEqual([
        [1, 1],
        [1, 1],
      ])
      expect(committed).toBe(true)
      // The next page reads the commit that came meanwhile.
      expect(await counts()).toEqual([
        [2, 2],
        [2, 2],
      ])
    } finally {
      other.close()
    }
  })
})
