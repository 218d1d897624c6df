import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EventBus } from '../../src/events/event-bus'
import { EventLog } from '../../src/events/event-log'
import { TaskLifecycle } from '../../src/lifecycle'
import { stateName, worktreeOf } from '../../src/machines/task-state'
import { openDatabase } from '../../src/storage/database'
import { currentVersion, loadMigrations, MigrationError, migrate } from '../../src/storage/migrate'
import { Store } from '../../src/storage/store'
import { tempDir } from '../support/temp'

let dir: ReturnType<typeof tempDir>
afterEach(() => dir?.cleanup())

const tables = (db: ReturnType<typeof openDatabase>) =>
  db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name)

describe('migrations', () => {
  test('an empty database gets every migration, in order, recorded with its name', () => {
    dir = tempDir()
    const db = openDatabase(join(dir.path, 'db.sqlite3'))
    const all = loadMigrations()
    expect(all.length).toBeGreaterThanOrEqual(2)
    expect(migrate(db)).toEqual(all.map((m) => m.version))
    expect(currentVersion(db)).toBe(all.at(-1)?.version ?? 0)
    expect(tables(db)).toEqual(
      expect.arrayContaining(['tasks', 'task_attempts', 'events', 'workspaces', 'schema_migrations']),
    )
    const recorded = db
      .query<{ name: string }, []>('SELECT name FROM schema_migrations ORDER BY version')
      .all()
    expect(recorded.map((row) => row.name)).toEqual(all.map((m) => m.name))
    expect(migrate(db)).toEqual([])
    expect(db.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()?.journal_mode).toBe('wal')
    expect(db.query<{ foreign_keys: number }, []>('PRAGMA foreign_keys').get()?.foreign_keys).toBe(1)
    db.close()
  })

  test('every column that points at another row leads an index, so deleting that row never reads a whole table', () => {
    dir = tempDir()
    const db = openDatabase(join(dir.path, 'db.sqlite3'))
    migrate(db)
    const pragma = <Row>(sql: string) => db.query<Row, []>(sql).all()
    const unindexed: string[] = []
    let references = 0
    for (const table of tables(db)) {
      const leading = new Set(
        pragma<{ name: string }>(`PRAGMA index_list("${table}")`).flatMap((index) =>
          pragma<{ seqno: number; name: string }>(`PRAGMA index_info("${index.name}")`)
            .filter((column) => column.seqno === 0)
            .map((column) => column.name),
        ),
      )
      for (const column of pragma<{ name: string; pk: number }>(`PRAGMA table_info("${table}")`))
        if (column.pk === 1) leading.add(column.name)
      for (const key of pragma<{ from: string; table: string }>(`PRAGMA foreign_key_list("${table}")`)) {
        references++
        if (!leading.has(key.from)) unindexed.push(`${table}.${key.from} -> ${key.table}`)
      }
    }
    expect(references).toBeGreaterThan(10)
    expect(unindexed).toEqual([])
    db.close()
  })

  test('runs waiting before the run outbox existed move into it, a follow-up reply included', () => {
    dir = tempDir()
    const path = join(dir.path, 'db.sqlite3')
    const all = loadMigrations()
    const outbox = all.find((m) => m.name.endsWith('_run_outbox'))?.version ?? 0
    const old = openDatabase(path)
    migrate(old, all, outbox - 1)
    const task = (id: string, status: string, snapshot: object, followUp: string | null) =>
      old
        .query(`INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, follow_up, created_at, updated_at)
          VALUES (?, 't', '', 'codex', 'c', '/tmp/w', ?, 15, '{}', '{}', ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`)
        .run(id, status, JSON.stringify(snapshot), followUp)
    task('waiting', 'queued', { value: { queued: 'waiting' }, context: { starts: 3 } }, 'go on please')
    task('draft', 'queued', { value: { queued: 'draft' }, context: { starts: 0 } }, null)
    task('done', 'completed', { value: 'completed', context: { starts: 1 } }, 'stale')
    old.close()

    const db = openDatabase(path)
    migrate(db)
    expect(db.query('SELECT task_id, run, follow_up FROM run_outbox').all()).toEqual([
      { task_id: 'waiting', run: 3, follow_up: 'go on please' },
    ])
    const columns = db
      .query<{ name: string }, []>('PRAGMA table_info(tasks)')
      .all()
      .map((c) => c.name)
    expect(columns).not.toContain('follow_up')
    db.close()
  })

  test('a database at the previous version is upgraded in place and keeps its data', () => {
    dir = tempDir()
    const path = join(dir.path, 'db.sqlite3')
    const all = loadMigrations()
    const previous = (all.at(-1)?.version ?? 1) - 1
    const old = openDatabase(path)
    migrate(old, all, previous)
    expect(currentVersion(old)).toBe(previous)
    old.exec(`INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, created_at, updated_at)
      VALUES ('t1', 'kept', '', 'shell', 'echo', '/tmp', 'completed', 15, '{}', '{}', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`)
    old.exec(
      `INSERT INTO task_attempts (id, task_id, attempt_number, runner, status, started_at) VALUES ('a1', 't1', 1, 'shell', 'completed', '2026-01-01T00:00:00.000Z')`,
    )
    old.exec(
      `INSERT INTO events (task_id, seq, kind, message, created_at) VALUES ('t1', 1, 'stdout', 'hello', '2026-01-01T00:00:00.000Z')`,
    )
    old.close()

    const db = openDatabase(path)
    expect(migrate(db)).toEqual(all.filter((m) => m.version > previous).map((m) => m.version))
    expect(db.query<{ title: string }, []>('SELECT title FROM tasks').get()?.title).toBe('kept')
    expect(db.query<{ message: string }, []>('SELECT message FROM events').get()?.message).toBe('hello')
    const attemptColumns = db
      .query<{ name: string }, []>('PRAGMA table_info(task_attempts)')
      .all()
      .map((c) => c.name)
    expect(attemptColumns).toEqual(expect.arrayContaining(['pgid', 'process_started', 'stop_reason']))
    expect(() => db.exec("UPDATE events SET message = 'changed'")).toThrow(/append-only/)
    db.close()
  })

  test('snapshots of the one-region machine move under `run`, with the worktree their row and intent say, and load', () => {
    dir = tempDir()
    const path = join(dir.path, 'db.sqlite3')
    const old = openDatabase(path)
    const all = loadMigrations()
    const regions = all.find((m) => m.name.endsWith('_task_machine_regions'))?.version ?? 0
    migrate(old, all, regions - 1)
    // Exactly what the machine before that migration persisted.
    const context = (starts: number, requiresApproval = false) =>
      `"context":{"requiresApproval":${requiresApproval},"approved":false,"merged":false,"starts":${starts}},"children":{}}`
    const snapshot = (value: string, starts = 1, approval = false) =>
      `{"status":"active","value":${value},"historyValue":{},${context(starts, approval)}`
    const insert = old.prepare(
      `INSERT INTO tasks (id, title, prompt, runner, command, workspace, status, budget_minutes, policy_json, cost_ledger_json, machine_snapshot, worktree_path, worktree_cleaned_at, created_at, updated_at)
       VALUES (?, ?, '', 'shell', 'echo', '/tmp', ?, 15, '{}', '{}', ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    )
    const worktree = '/repo/.openruntime/worktrees/x'
    const cleanedAt = '2026-01-02T00:00:00.000Z'
    insert.run('draft', 'a draft', 'queued', snapshot('{"queued":"draft"}', 0), null, null)
    insert.run('gate', 'held', 'needs-input', snapshot('{"needs-input":"approval"}', 0, true), null, null)
    insert.run('review', 'to review', 'ready-for-review', snapshot('"ready-for-review"'), worktree, null)
    insert.run('cleaned', 'cleaned up', 'completed', snapshot('"completed"'), worktree, cleanedAt)
    insert.run('merging', 'mid-merge', 'ready-for-review', snapshot('"ready-for-review"'), worktree, null)
    insert.run('in-place', 'in place', 'failed', snapshot('"failed"'), null, null)
    insert.run('empty', 'no snapshot', 'completed', '{}', null, null)
    insert.run('garbage', 'not json', 'completed', 'not json', null, null)
    old.exec(
      `INSERT INTO task_intents (task_id, kind, plan_json, created_at) VALUES ('merging', 'merge', 'null', '2026-01-03T00:00:00.000Z')`,
    )
    old.close()

    const store = Store.open(path)
    try {
      const bus = new EventBus()
      const lifecycle = new TaskLifecycle(store, new EventLog(store, bus, { flushMs: 5 }), bus)
      const read = (id: string) => {
        const state = lifecycle.snapshot(id)
        return { state: stateName(state), worktree: worktreeOf(state), starts: state.context.starts }
      }
      expect(read('draft')).toEqual({ state: 'queued.draft', worktree: 'none', starts: 0 })
      expect(read('gate')).toEqual({ state: 'needs-input.approval', worktree: 'none', starts: 0 })
      expect(read('review')).toEqual({ state: 'ready-for-review', worktree: 'present', starts: 1 })
      expect(read('cleaned')).toEqual({ state: 'completed', worktree: 'cleaned', starts: 1 })
      expect(read('merging')).toEqual({ state: 'ready-for-review', worktree: 'merging', starts: 1 })
      expect(read('in-place')).toEqual({ state: 'failed', worktree: 'none', starts: 1 })
      // What it can do next is what the machine says of those states.
      expect(lifecycle.can('review', { type: 'MERGE_BEGIN' })).toBe(true)
      expect(lifecycle.can('cleaned', { type: 'RESTORE_BEGIN' })).toBe(true)
      expect(lifecycle.can('merging', { type: 'START' })).toBe(false)
      expect(lifecycle.can('merging', { type: 'MERGE_ROLLED_BACK' })).toBe(true)
      expect(lifecycle.can('in-place', { type: 'CLEANUP_BEGIN' })).toBe(false)
      // A snapshot of no known shape is left alone, and reported rather than guessed at.
      const raw = (id: string) =>
        store.db
          .query<{ s: string }, [string]>('SELECT machine_snapshot AS s FROM tasks WHERE id = ?')
          .get(id)?.s
      expect(raw('empty')).toBe('{}')
      expect(raw('garbage')).toBe('not json')
      for (const id of ['empty', 'garbage'])
        expect(() => lifecycle.snapshot(id)).toThrow(`the stored state of task ${id} cannot be read`)
    } finally {
      store.close()
    }
  })

  test('a failing migration leaves the database at the last complete version', () => {
    dir = tempDir()
    const migrationsDir = join(dir.path, 'migrations')
    mkdirSync(migrationsDir)
    writeFileSync(join(migrationsDir, '001_first.sql'), 'CREATE TABLE a (x INTEGER);')
    writeFileSync(
      join(migrationsDir, '002_broken.sql'),
      'CREATE TABLE b (y INTEGER); INSERT INTO missing VALUES (1);',
    )
    const db = openDatabase(join(dir.path, 'db.sqlite3'))
    expect(() => migrate(db, loadMigrations(migrationsDir))).toThrow(MigrationError)
    expect(currentVersion(db)).toBe(1)
    expect(tables(db)).not.toContain('b')
    db.close()
  })

  test('a database from a newer openRuntime is refused, not touched', () => {
    dir = tempDir()
    const db = openDatabase(join(dir.path, 'db.sqlite3'))
    migrate(db)
    db.exec("INSERT INTO schema_migrations VALUES (999, '999_future', '2030-01-01')")
    expect(() => migrate(db)).toThrow(/newer than this openRuntime/)
    db.close()
  })
})
