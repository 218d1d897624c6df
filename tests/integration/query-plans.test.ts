import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { Store } from '../../src/storage/store'
import { tempDir } from '../support/temp'

/**
 * Lookups that pages and heartbeats make, and that once read a whole table growing with history:
 * each statement a call runs is caught as it is prepared, and SQLite's own plan for it must seek
 * an index for every table it reads, never scan one, and never sort what it found (a sort reads
 * every matching row whatever the LIMIT). Deletes are covered by the rule that every foreign key
 * leads an index (migrations.test.ts).
 */

let dir: ReturnType<typeof tempDir>
let store: Store
let prepared: string[]
beforeEach(() => {
  dir = tempDir()
  store = Store.open(join(dir.path, 'db.sqlite3'))
  prepared = []
  const { db } = store
  const query = db.query.bind(db)
  db.query = ((sql: string) => {
    prepared.push(sql)
    return query(sql)
  }) as typeof db.query
})
afterEach(() => {
  store?.close()
  dir?.cleanup()
})

/** The plan of every statement `call` prepares (with a placeholder value for each parameter). */
function plansOf(call: () => unknown): string[][] {
  prepared = []
  call()
  expect(prepared.length).toBeGreaterThan(0)
  return prepared.map((sql) => {
    const parameters = (sql.match(/\?/g) ?? []).map(() => 'x')
    return store.db
      .prepare<{ detail: string }, string[]>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...parameters)
      .map((row) => row.detail)
  })
}

/**
 * The steps of a plan that read a table whole (SQLite says SCAN; a seek is SEARCH) or sort all it
 * found. Sorting only the last term of an ORDER BY is no such step: the rows come in index order
 * and only ties are sorted, so it stops with the LIMIT. `sorted` names the one thing a call may
 * sort whole: a few rows it found by seeks (the recursive walk over the workspaces is SCANned
 * too, and it is no table).
 */
const unbounded = (plan: string[], sorted?: 'workspaces') =>
  plan.filter((step) => {
    if (/TEMP B-TREE FOR LAST TERM OF ORDER BY/.test(step)) return false
    if (/TEMP B-TREE/.test(step)) return sorted === undefined
    return /^SCAN /.test(step) && step !== `SCAN ${sorted}`
  })

describe('lookups that grow with history seek an index', () => {
  test("a page's recent workspaces: one seek per workspace; only those are sorted", () => {
    for (const plan of plansOf(() => store.tasks.recentWorkspaces(50))) {
      expect(plan.some((step) => /USING COVERING INDEX tasks_by_workspace/.test(step))).toBe(true)
      expect(unbounded(plan, 'workspaces')).toEqual([])
    }
  })

  test('a page of tasks within one status, workspace or runner, or any later page, starts with a seek', () => {
    const later = { updated_at: '2026-12-01T00:00:00.000Z', id: 'task-9000' }
    const filters = [
      {},
      { status: ['completed' as const] },
      { workspace: '/w' },
      { runner: 'codex' as const },
    ]
    // The first page of all tasks is the one plan that may SCAN: the index in the page's order,
    // stopped by the LIMIT. With a filter the index does not hold, that walk goes on until a page
    // of matches is found, however far.
    const pages = [undefined, later].flatMap((after) =>
      filters
        .filter((filter) => after || Object.keys(filter).length > 0)
        .map((filter) => ({ ...filter, after })),
    )
    for (const page of pages)
      for (const plan of [
        ...plansOf(() => store.tasks.list({ limit: 50, ...page })),
        ...plansOf(() => store.tasks.rosterEntries({ limit: 50, ...page })),
      ])
        expect(unbounded(plan)).toEqual([])
  })

  test('tasks by agent session id', () => {
    for (const plan of plansOf(() => store.tasks.idsBySession(['session-1', 'session-2'])))
      expect(unbounded(plan)).toEqual([])
  })

  test("a runner host's live attempts, and those that ended without its report, at each heartbeat", () => {
    for (const call of [
      () => store.runnerHosts.liveAttempts('host-1'),
      () => store.runnerHosts.unreportedAttempts('host-1'),
    ])
      for (const plan of plansOf(call)) expect(unbounded(plan)).toEqual([])
  })
})
