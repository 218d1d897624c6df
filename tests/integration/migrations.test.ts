import { afterEach, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../../src/storage/database'
import { currentVersion, loadMigrations, MigrationError, migrate } from '../../src/storage/migrate'
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
