import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

let rt: TestRuntime
let repo: string
beforeAll(async () => {
  rt = await startTestRuntime()
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const shellTask = (extra: Record<string, unknown> = {}) => ({
  title: 'bad input',
  prompt: '',
  runner: 'shell',
  command: 'true',
  workspace: repo,
  ...extra,
})

/** Everything a refused request must leave as it was. */
const fingerprint = () =>
  JSON.stringify([
    rt.runtime.store.db
      .query('SELECT id, status, approved_at, machine_snapshot FROM tasks ORDER BY id')
      .all(),
    rt.runtime.store.db.query('SELECT COUNT(*) AS n FROM events').get(),
    rt.runtime.store.db.query('SELECT path, copy_globs_json FROM workspaces ORDER BY path').all(),
  ])

async function expectUnknownField(method: string, path: string, body: unknown, field: string) {
  const before = fingerprint()
  const response = await rt.call(method, path, body)
  expect(response.status).toBe(400)
  expect(response.body.error.code).toBe('invalid_request')
  expect(response.body.error.message).toContain(`unknown field "${field}"`)
  expect(response.body.error.details).toEqual({ field })
  expect(fingerprint()).toBe(before)
}

describe('unknown fields in a JSON body are refused, naming the field', () => {
  test('POST /tasks: a misspelt policy field, a misspelt top-level field, under any nesting', async () => {
    await expectUnknownField(
      'POST',
      '/tasks',
      shellTask({ policy: { alow_network: true } }),
      'policy.alow_network',
    )
    await expectUnknownField('POST', '/tasks', shellTask({ budget_minute: 5 }), 'budget_minute')
    await expectUnknownField(
      'POST',
      '/tasks',
      shellTask({ policy: { allow_network: false, require_sandbox: false, max_runtime: 3 } }),
      'policy.max_runtime',
    )
    // The same bodies without the stray field are accepted.
    expect((await rt.call('POST', '/tasks', shellTask({ policy: { allow_network: false } }))).status).toBe(
      200,
    )
    expect((await rt.call('POST', '/tasks', shellTask({ budget_minutes: 5 }))).status).toBe(200)
  })

  test('every other route that takes a body, on a real task', async () => {
    const gated = await rt.call('POST', '/tasks', shellTask({ policy: { require_approval: true } }))
    const id = gated.body.id
    expect((await rt.call('POST', `/tasks/${id}/start`)).body.status).toBe('needs-input')
    await expectUnknownField('POST', `/tasks/${id}/approve`, { start: true, notes: 'x' }, 'notes')
    expect(rt.runtime.tasks.get(id).approved_at).toBeNull()
    await expectUnknownField('POST', `/tasks/${id}/reply`, { message: 'hi', to: 'stdin' }, 'to')
    await expectUnknownField(
      'POST',
      `/tasks/${id}/worktree/merge`,
      { strategy: 'commit', forced: true },
      'forced',
    )
    await expectUnknownField(
      'POST',
      `/tasks/${id}/approvals/00000000-0000-4000-8000-000000000000`,
      { allow: true, reason: 'x' },
      'reason',
    )
    await expectUnknownField('POST', '/workspaces/register', { path: repo, name: 'mine' }, 'name')
    await expectUnknownField('POST', '/workspaces/current', { path: repo, current: true }, 'current')
    await expectUnknownField(
      'POST',
      '/workspaces/settings',
      { path: repo, copy_globs: ['.env'], copy: true },
      'copy',
    )
  })

  test('an API route that takes no body refuses any field sent to it, and still takes none or {}', async () => {
    const created = await rt.call('POST', '/tasks', shellTask({ policy: { require_approval: true } }))
    const id = created.body.id
    await expectUnknownField('POST', `/tasks/${id}/start`, { approved: true }, 'approved')
    await expectUnknownField('POST', '/workspaces/pick', { path: repo }, 'path')
    expect((await rt.call('POST', `/tasks/${id}/start`, {})).body.status).toBe('needs-input')
    expect((await rt.call('POST', `/tasks/${id}/stop`)).body.status).toBe('stopped')
  })

  test('a value of the wrong kind is refused as sent, not reshaped into an empty default', async () => {
    for (const policy of [5, [], 'full', true]) {
      const before = fingerprint()
      const response = await rt.call('POST', '/tasks', shellTask({ policy }))
      expect(response.status).toBe(400)
      expect(response.body.error.message).toBe('invalid body: policy: Expected object')
      expect(fingerprint()).toBe(before)
    }
  })

  test('a word outside its vocabulary is refused naming the words there are', async () => {
    for (const [extra, message] of [
      [{ runner: 'bash' }, 'invalid body: runner: Expected one of shell, claude-code, codex'],
      [
        { policy: { network_mode: 'internet' } },
        'invalid body: policy.network_mode: Expected one of disabled, localhost, enabled',
      ],
    ] as const) {
      const before = fingerprint()
      const response = await rt.call('POST', '/tasks', shellTask(extra))
      expect(response.status).toBe(400)
      expect(response.body.error.message).toBe(message)
      expect(fingerprint()).toBe(before)
    }
    const listed = await rt.call('GET', '/tasks?runner=bash')
    expect(listed.status).toBe(400)
    expect(listed.body.error.message).toBe('invalid query: runner: Expected one of shell, claude-code, codex')
  })

  test('the OpenAPI document promises it: every request-body object is closed', async () => {
    const document = await (await rt.handle('/swagger/json')).json()
    const open: string[] = []
    const visit = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return
      // A map with free keys by design (a runner event's metadata) declares the schema of its values.
      const freeMap = typeof schema.additionalProperties === 'object' && schema.properties === undefined
      if (schema.type === 'object' && schema.additionalProperties !== false && !freeMap) open.push(where)
      for (const [key, value] of Object.entries(schema.properties ?? {})) visit(value, `${where}.${key}`)
      for (const [index, option] of (schema.anyOf ?? []).entries()) visit(option, `${where}|${index}`)
      visit(schema.items, `${where}[]`)
    }
    let bodies = 0
    for (const [path, operations] of Object.entries<any>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema
        if (!schema) continue
        bodies++
        visit(schema, `${method.toUpperCase()} ${path}`)
      }
    }
    expect(bodies).toBeGreaterThanOrEqual(8)
    expect(open).toEqual([])
  })
})

describe('out-of-range numbers are refused, never clamped or rounded', () => {
  const refused: [string, Record<string, unknown>, string][] = [
    [
      'a fraction of a minute as max runtime',
      { policy: { max_runtime_minutes: 0.05 } },
      'policy.max_runtime_minutes',
    ],
    ['a zero max runtime', { policy: { max_runtime_minutes: 0 } }, 'policy.max_runtime_minutes'],
    ['a max runtime over a day', { policy: { max_runtime_minutes: 1441 } }, 'policy.max_runtime_minutes'],
    ['a fractional max runtime', { policy: { max_runtime_minutes: 12.4 } }, 'policy.max_runtime_minutes'],
    ['a budget over 240 minutes', { budget_minutes: 241 }, 'budget_minutes'],
    ['a zero budget', { budget_minutes: 0 }, 'budget_minutes'],
    ['a negative budget', { budget_minutes: -1 }, 'budget_minutes'],
    ['a negative cost budget', { policy: { budget_cents: -5 } }, 'policy.budget_cents'],
    ['a fraction of a cent', { policy: { budget_cents: 1.5 } }, 'policy.budget_cents'],
    [
      'a zero approval timeout',
      { policy: { approval_timeout_seconds: 0 } },
      'policy.approval_timeout_seconds',
    ],
    [
      'a fractional approval timeout',
      { policy: { approval_timeout_seconds: 0.5 } },
      'policy.approval_timeout_seconds',
    ],
  ]
  for (const [name, extra, field] of refused) {
    test(`${name} → 400 naming ${field}`, async () => {
      const before = fingerprint()
      const response = await rt.call('POST', '/tasks', shellTask(extra))
      expect(response.status).toBe(400)
      expect(response.body.error.message).toContain(field)
      expect(fingerprint()).toBe(before)
    })
  }

  test('the edges of every range are accepted and stored exactly as sent', async () => {
    const low = await rt.call(
      'POST',
      '/tasks',
      shellTask({
        budget_minutes: 0.05,
        policy: { max_runtime_minutes: 1, budget_cents: 0, approval_timeout_seconds: 1 },
      }),
    )
    expect(low.status).toBe(200)
    expect(low.body.budget_minutes).toBe(0.05)
    expect(low.body.policy).toMatchObject({
      max_runtime_minutes: 1,
      budget_cents: 0,
      approval_timeout_seconds: 1,
    })
    const high = await rt.call(
      'POST',
      '/tasks',
      shellTask({
        budget_minutes: 240,
        policy: { max_runtime_minutes: 1440, budget_cents: 10_000_000, approval_timeout_seconds: 86_400 },
      }),
    )
    expect(high.status).toBe(200)
    expect(rt.runtime.tasks.get(high.body.id)).toMatchObject({
      budget_minutes: 240,
      policy: { max_runtime_minutes: 1440, budget_cents: 10_000_000, approval_timeout_seconds: 86_400 },
    })
  })

  test('the OpenAPI document states the ranges', async () => {
    const document = await (await rt.handle('/swagger/json')).json()
    const body = document.paths['/tasks'].post.requestBody.content['application/json'].schema
    expect(body.properties.budget_minutes).toMatchObject({ type: 'number', minimum: 0.05, maximum: 240 })
    expect(body.properties.policy.properties.max_runtime_minutes).toMatchObject({
      nullable: true,
      type: 'integer',
      minimum: 1,
      maximum: 1440,
    })
    expect(body.properties.policy.properties.max_runtime_minutes.description).toContain('whole minutes')
  })

  const dispatch = (fields: Record<string, string>) =>
    rt.handle('/ui/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ runner: 'shell', command: 'true', workspace: repo, ...fields }),
    })

  test('the dispatch form is held to the same ranges, and a valid custom policy still goes through', async () => {
    for (const [fields, words] of [
      [
        { preset: 'custom', max_runtime_minutes: '0.05' },
        'max runtime must be a whole number from 1 to 1440',
      ],
      [{ budget_minutes: '241' }, 'runtime budget must be a number from 0.05 to 240'],
      [{ cost_usd: '0.005' }, 'cost budget must be an amount in dollars with at most two decimals'],
    ] as const) {
      const before = fingerprint()
      const response = await dispatch(fields)
      expect(response.status).toBe(400)
      expect(await response.text()).toContain(words)
      expect(fingerprint()).toBe(before)
    }
    const title = `form ${crypto.randomUUID()}`
    const accepted = await dispatch({
      title,
      preset: 'custom',
      max_runtime_minutes: '30',
      budget_minutes: '0.5',
      cost_usd: '1.25',
    })
    expect(accepted.status).toBe(200)
    const task = rt.runtime.store.tasks.list({ limit: 500 }).find((candidate) => candidate.title === title)
    expect(task).toMatchObject({
      budget_minutes: 0.5,
      policy: { max_runtime_minutes: 30, budget_cents: 125 },
    })
  })
})
