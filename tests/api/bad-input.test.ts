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
      { strategy: 'commit', force: true },
      'force',
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

  test('the OpenAPI document promises it: every request-body object is closed', async () => {
    const document = await (await rt.app.handle(new Request('http://localhost/swagger/json'))).json()
    const open: string[] = []
    const visit = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return
      if (schema.type === 'object' && schema.additionalProperties !== false) open.push(where)
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
