import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { stateName } from '../../src/machines/task-state'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let knownId: string
let workspace: string

/** A task the requests can act on; made again whenever a request deleted it. */
async function ensureKnownTask() {
  if (knownId && rt.runtime.store.tasks.get(knownId)) return
  const created = await rt.call('POST', '/tasks', {
    title: 'fuzz target',
    prompt: '',
    runner: 'shell',
    command: 'echo ready; sleep 1000',
    workspace,
    policy: { require_approval: true },
  })
  knownId = created.body.id
}

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_STOP_GRACE_MS: '200' })
  workspace = join(rt.dir, 'plain')
  mkdirSync(workspace)
})
afterAll(() => rt?.close())

const ROUTES: [string, string][] = [
  ['GET', '/health'],
  ['GET', '/runners'],
  ['GET', '/runner-sessions'],
  ['GET', '/policies/presets'],
  ['GET', '/workspaces'],
  ['POST', '/workspaces/register'],
  ['POST', '/workspaces/current'],
  ['GET', '/workspaces/browse'],
  ['GET', '/tasks'],
  ['POST', '/tasks'],
  ['GET', '/tasks/:id'],
  ['DELETE', '/tasks/:id'],
  ['GET', '/tasks/:id/events'],
  ['GET', '/tasks/:id/stream'],
  ['POST', '/tasks/:id/start'],
  ['POST', '/tasks/:id/stop'],
  ['POST', '/tasks/:id/approve'],
  ['POST', '/tasks/:id/reply'],
  ['GET', '/tasks/:id/diff'],
  ['POST', '/tasks/:id/worktree/merge'],
  ['POST', '/tasks/:id/worktree/cleanup'],
  ['POST', '/tasks/:id/worktree/restore'],
  ['GET', '/tasks/:id/runner/logs'],
  ['POST', '/tasks/:id/runner/attach'],
]

const idArb = fc.oneof(
  fc.constant('KNOWN'),
  fc.uuid(),
  fc.string(),
  fc.constantFrom(
    '../../etc/passwd',
    '%2e%2e%2f',
    '00000000-0000-0000-0000-000000000000',
    '',
    ' ',
    '\u0000',
    'ä',
  ),
)
const valueArb = fc.oneof(
  fc.string(),
  fc.integer().map(String),
  fc.constantFrom('true', 'all', 'none', '-1', '1e9', '../', '%00'),
)
const queryArb = fc.dictionary(
  fc.constantFrom(
    'limit',
    'cursor',
    'status',
    'events',
    'after',
    'force',
    'path',
    'runner',
    'workspace',
    'max_bytes',
    'x',
  ),
  valueArb,
  { maxKeys: 3 },
)
const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.json().map((text) => ({ raw: text })),
  fc.string().map((text) => ({ raw: text })),
  fc.record(
    {
      title: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      prompt: fc.oneof(fc.string(), fc.constant(null)),
      runner: fc.oneof(fc.constantFrom('shell', 'codex', 'claude-code'), fc.string()),
      command: fc.oneof(fc.constant('true'), fc.string()),
      workspace: fc.oneof(fc.constant('WORKSPACE'), fc.string(), fc.constant('/')),
      budget_minutes: fc.oneof(fc.double(), fc.integer()),
      policy: fc.oneof(fc.constant(null), fc.dictionary(fc.string(), fc.jsonValue())),
      message: fc.oneof(fc.string(), fc.integer()),
      note: fc.string(),
      start: fc.constant(false),
      strategy: fc.oneof(fc.constantFrom('apply', 'commit'), fc.string()),
      path: fc.oneof(fc.string(), fc.constantFrom('../..', '/etc/passwd', '/tmp')),
    },
    { requiredKeys: [] },
  ),
)
const frontHeadersArb = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
    ),
    'last-event-id': valueArb,
    origin: fc.constantFrom(
      'http://localhost',
      'http://localhost',
      'http://localhost',
      'https://evil.example',
      'null',
      'garbage',
    ),
  },
  { requiredKeys: [] },
)
// A request with a credential of its own is refused at the door (401): one in eight carries one, so
// most reach the routes and each kind of refusal behind them occurs in every run, not in most.
const headersArb = fc
  .tuple(frontHeadersArb, fc.string(), fc.nat({ max: 7 }))
  .map(([headers, authorization, pick]) => (pick === 0 ? { ...headers, authorization } : headers))

/** What a refused request must not change: tasks, their state, stored events, workspaces. */
function fingerprint(): string {
  const db = rt.runtime.store.db
  return JSON.stringify([
    db
      .query(
        'SELECT id, status, machine_snapshot, approved_at, worktree_merged_at, worktree_cleaned_at FROM tasks ORDER BY id',
      )
      .all(),
    db.query('SELECT COUNT(*) AS n, MAX(id) AS last FROM events').get(),
    db.query('SELECT COUNT(*) AS n FROM workspaces').get(),
  ])
}

/**
 * Waits until nothing is in flight: no run waiting for a worker, no unwritten events, and a running
 * task past its start-up (its command printed "ready"), after which it is silent until stopped.
 */
const quiesce = () =>
  waitFor('the runtime to settle', () => {
    const { store, lifecycle, eventLog } = rt.runtime
    eventLog.flush()
    const busy = store.tasks.idsWithStatus(['queued', 'running']).some((id) => {
      const state = stateName(lifecycle.snapshot(id))
      if (state === 'queued.waiting') return true
      return state === 'running.agent' && !store.events.latest(id, 50).some((e) => e.message === 'ready')
    })
    return !busy && eventLog.bufferedCount === 0
  })

test('random params, queries, headers and bodies on every route: never a 5xx, and refusals change nothing', async () => {
  const statuses = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...ROUTES),
      idArb,
      queryArb,
      bodyArb,
      headersArb,
      async ([method, template], id, query, body, headers) => {
        await ensureKnownTask()
        const path = template.replace(':id', encodeURIComponent(id === 'KNOWN' ? knownId : id))
        const search = new URLSearchParams(query).toString()
        let payload: string | undefined
        if (body !== undefined && method !== 'GET') {
          payload =
            'raw' in body
              ? String(body.raw)
              : JSON.stringify({
                  ...body,
                  workspace: body.workspace === 'WORKSPACE' ? workspace : body.workspace,
                })
        }
        const before = fingerprint()
        const response = await rt.handle(`${path}${search ? `?${search}` : ''}`, {
          method,
          headers,
          body: payload,
        })
        const streaming = response.headers.get('content-type')?.includes('text/event-stream')
        if (streaming) await response.body?.cancel()
        const text = streaming ? '' : await response.text()
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
        expect(response.status).toBeLessThan(500)
        if (response.status >= 400) {
          expect(JSON.parse(text).error.code).toBeString()
          expect(fingerprint()).toBe(before)
        } else {
          await quiesce()
        }
      },
    ),
    { numRuns: 1500 },
  )
  expect((await rt.call('GET', '/health')).status).toBe(200)
  // The generators must reach past the front door: successes and each kind of refusal occur.
  for (const status of [200, 400, 403, 404, 409]) expect(statuses.get(status) ?? 0).toBeGreaterThan(0)
}, 180_000)
