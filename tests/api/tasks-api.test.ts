import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parseEventsEmbed } from '../../src/routes/pagination'
import { Task } from '../../src/routes/schemas'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '4' })
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const shell = (command: string, extra: Record<string, unknown> = {}) =>
  rt.call('POST', '/tasks', {
    title: `t ${command.slice(0, 30)}`,
    prompt: '',
    runner: 'shell',
    command,
    workspace: repo,
    ...extra,
  })

const settled = (id: string) =>
  waitFor(`task ${id} to settle`, async () => {
    const task = (await rt.call('GET', `/tasks/${id}?events=none`)).body
    return ['completed', 'ready-for-review', 'failed', 'stopped'].includes(task.status) ? task : null
  })

describe('system routes', () => {
  test('health, runners, runner sessions, presets', async () => {
    expect((await rt.call('GET', '/health')).body).toEqual({ status: 'ok', storage: 'sqlite' })
    const runners = (await rt.call('GET', '/runners')).body
    expect(runners.map((r: any) => r.runner).sort()).toEqual(['claude-code', 'codex', 'shell'])
    expect(runners.find((r: any) => r.runner === 'shell')).toMatchObject({
      available: true,
      command: '/bin/sh -lc',
    })
    for (const r of runners.filter((r: any) => !r.available)) expect(r.reason).toBeString()
    const sessions = (await rt.call('GET', '/runner-sessions')).body
    expect(Array.isArray(sessions.sessions)).toBe(true)
    expect(sessions.claude_home).toBeString()
    const presets = (await rt.call('GET', '/policies/presets')).body
    expect(presets.map((p: any) => p.id)).toEqual(
      expect.arrayContaining(['default', 'auto-review', 'full', 'custom']),
    )
  })

  test('unknown routes are JSON 404s', async () => {
    const response = await rt.call('GET', '/nope')
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('route_not_found')
  })
})

describe('task list', () => {
  // The list and a task are serialized without Elysia's response check (it cost as much as reading them):
  // what it sends must be the schema exactly, every field valid and none it does not state.
  test('a page of tasks, and one task, with events and attempts, is exactly the Task schema', async () => {
    const ran = (await shell('echo listed; echo oops >&2')).body
    await rt.call('POST', `/tasks/${ran.id}/start`)
    await settled(ran.id)
    await shell('true')
    for (const query of ['', '?events=none', '?events=2', '?events=all&limit=1']) {
      const response = await rt.handle(`/tasks${query}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toStartWith('application/json')
      const page = (await response.json()) as unknown[]
      expect(page.length).toBeGreaterThan(0)
      const schema = Type.Array(Task)
      expect([...Value.Errors(schema, page)].map((error) => `${error.path}: ${error.message}`)).toEqual([])
      expect(Value.Clean(schema, structuredClone(page))).toEqual(page)
    }
    // One task is serialized the same way.
    for (const query of ['', '?events=none', '?events=1', '?events=all']) {
      const response = await rt.handle(`/tasks/${ran.id}${query}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toStartWith('application/json')
      const task = await response.json()
      expect([...Value.Errors(Task, task)].map((error) => `${error.path}: ${error.message}`)).toEqual([])
      expect(Value.Clean(Task, structuredClone(task))).toEqual(task)
    }
    const withAttempt = (await rt.call('GET', '/tasks')).body.find((task: any) => task.id === ran.id)
    expect(withAttempt.attempts).toHaveLength(1)
    expect(withAttempt.events.map((event: any) => event.message)).toContain('listed')
  })

  test('the next page is named by x-next-cursor and Link', async () => {
    await shell('true')
    await shell('true')
    const first = await rt.handle('/tasks?limit=1&events=none')
    const cursor = first.headers.get('x-next-cursor')
    expect(cursor).toBeString()
    expect(first.headers.get('link')).toBe(`</tasks?cursor=${cursor}&limit=1>; rel="next"`)
    const next = (await rt.call('GET', `/tasks?limit=1&events=none&cursor=${cursor}`)).body
    expect(next[0].id).not.toBe(((await first.json()) as any[])[0].id)
  })
})

describe('workspaces', () => {
  test('register canonicalises, lists as current, and refuses what is not a directory', async () => {
    const sub = join(repo, 'pkg')
    mkdirSync(sub, { recursive: true })
    writeFileSync(join(repo, 'file.txt'), 'x')
    const registered = await rt.call('POST', '/workspaces/register', { path: `${sub}/../pkg/` })
    expect(registered.status).toBe(200)
    expect(registered.body).toEqual({ name: 'pkg', path: sub })
    const listed = (await rt.call('GET', '/workspaces')).body
    expect(listed[0]).toMatchObject({ path: sub, registered: true, current: true })
    for (const bad of [
      join(rt.dir, 'missing'),
      join(repo, 'file.txt'),
      `${join(repo, 'file.txt')}/../..`,
      '',
    ]) {
      const refused = await rt.call('POST', '/workspaces/register', { path: bad })
      expect(refused.status).toBe(400)
      expect(refused.body.error.message).toBeString()
    }
    const switched = await rt.call('POST', '/workspaces/current', { path: repo })
    expect(switched.body.path).toBe(repo)
    expect((await rt.call('GET', '/workspaces')).body[0]).toMatchObject({ path: repo, current: true })
  })

  test('browse lists sub-folders and flags git repositories; traversal into a file is refused', async () => {
    const listing = (await rt.call('GET', `/workspaces/browse?path=${encodeURIComponent(rt.dir)}`)).body
    expect(listing.entries.find((e: any) => e.name === 'repo')).toMatchObject({ path: repo, is_git: true })
    const refused = await rt.call(
      'GET',
      `/workspaces/browse?path=${encodeURIComponent(`${repo}/file.txt/..`)}`,
    )
    expect(refused.status).toBe(400)
  })

  test('pick answers 501 with a clear message where no folder dialog exists', async () => {
    const hasDialog = ['zenity', 'kdialog', 'osascript'].some((cmd) => Bun.which(cmd) !== null)
    const picked = await rt.call('POST', '/workspaces/pick')
    if (hasDialog) expect([200, 501]).toContain(picked.status)
    else {
      expect(picked.status).toBe(501)
      expect(picked.body.error.message).toMatch(/dialog/i)
    }
  })
})

describe('task validation', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['missing title', { prompt: '', runner: 'shell', command: 'true' }, 400, /title/],
    ['blank title', { title: '  ', prompt: '', runner: 'shell', command: 'true' }, 400, /title/],
    ['shell without command', { title: 'x', prompt: '', runner: 'shell' }, 400, /command/],
    ['agent without goal', { title: 'x', prompt: ' ', runner: 'codex' }, 400, /goal/],
    ['unknown runner', { title: 'x', prompt: '', runner: 'python', command: 'true' }, 400, /runner/],
    ['wrong type', { title: 42, prompt: '', runner: 'shell', command: 'true' }, 400, /title/],
    [
      'missing workspace',
      { title: 'x', prompt: '', runner: 'shell', command: 'true', workspace: '/no/such/dir' },
      400,
      /does not exist/,
    ],
    ...(
      [
        ['max_processes', 15],
        ['max_processes', 64.5],
        ['max_memory_mb', 31],
        ['max_memory_mb', 2_000_000],
        ['max_output_mb', 0],
        ['max_output_mb', 100_001],
      ] as const
    ).map(([field, value]): [string, unknown, number, RegExp] => [
      `${field} ${value} (out of range, refused rather than brought into range)`,
      { title: 'x', prompt: '', runner: 'shell', command: 'true', policy: { [field]: value } },
      400,
      /policy/,
    ]),
  ]
  for (const [name, body, status, message] of cases) {
    test(`${name} → ${status}`, async () => {
      const before = (await rt.call('GET', '/tasks?limit=500&events=none')).body.length
      const response = await rt.call('POST', '/tasks', body)
      expect(response.status).toBe(status)
      expect(response.body.error.code).toBeString()
      expect(response.body.error.message).toMatch(message)
      expect((await rt.call('GET', '/tasks?limit=500&events=none')).body.length).toBe(before)
    })
  }

  test('malformed JSON, bad ids, unknown ids, oversized bodies', async () => {
    const malformed = await rt.handle('/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":',
    })
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.code).toBe('malformed_body')
    expect((await rt.call('GET', '/tasks/not-a-uuid')).status).toBe(400)
    expect((await rt.call('GET', `/tasks/${UNKNOWN}`)).status).toBe(404)
    for (const path of ['start', 'stop', 'approve'])
      expect((await rt.call('POST', `/tasks/${UNKNOWN}/${path}`)).status).toBe(404)
    expect((await rt.call('GET', `/tasks/${UNKNOWN}/diff`)).status).toBe(404)
    expect((await rt.call('POST', `/tasks/${UNKNOWN}/reply`, { message: 'x' })).status).toBe(404)
    const huge = await rt.handle('/tasks', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(3 * 1024 * 1024) },
      body: 'x',
    })
    expect(huge.status).toBe(413)
    expect((await huge.json()).error.code).toBe('body_too_large')
  })
})

describe('listing', () => {
  test('pages with a cursor, filters, and bounds the embedded events', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await shell(`echo page ${i}`, { title: `page-${i}` })).body.id)
    const seen: string[] = []
    let path = '/tasks?limit=2&events=none'
    for (let guard = 0; guard < 100 && path; guard++) {
      const response = await rt.handle(path)
      const page = (await response.json()) as any[]
      expect(page.length).toBeLessThanOrEqual(2)
      seen.push(...page.map((t) => t.id))
      const cursor = response.headers.get('x-next-cursor')
      path = cursor ? `/tasks?limit=2&events=none&cursor=${cursor}` : ''
    }
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of ids) expect(seen).toContain(id)
    const queued = (await rt.call('GET', '/tasks?status=queued&runner=shell&limit=500&events=1')).body
    expect(
      queued.every((t: any) => t.status === 'queued' && t.runner === 'shell' && t.events.length <= 1),
    ).toBe(true)
    expect((await rt.call('GET', `/tasks?workspace=${encodeURIComponent('/elsewhere')}`)).body).toEqual([])
    expect((await rt.call('GET', '/tasks?status=bogus')).status).toBe(400)
    expect((await rt.call('GET', '/tasks?cursor=garbage')).status).toBe(400)
  })

  test('the list and a task are sent as the views the services build, for every embed', async () => {
    // A workspace of its own, so no other test's task changes the page between the two reads.
    const workspace = makeRepo(join(rt.dir, 'views-repo'))
    const ran = (await shell(`printf 'one\\n<two> "three"\\n'; echo done`, { workspace })).body.id
    await rt.call('POST', `/tasks/${ran}/start`)
    await settled(ran)
    await shell('echo never started', { workspace })
    for (const events of [undefined, 'none', 'all', '1', '0']) {
      const embed = parseEventsEmbed(events)
      const suffix = events === undefined ? '' : `&events=${events}`
      const listed = await rt.handle(`/tasks?workspace=${encodeURIComponent(workspace)}${suffix}`)
      expect(await listed.text()).toBe(JSON.stringify(rt.runtime.tasks.list({ limit: 50, workspace }, embed)))
      const one = await rt.handle(`/tasks/${ran}${suffix.replace('&', '?')}`)
      expect(await one.text()).toBe(JSON.stringify(rt.runtime.tasks.view(ran, embed)))
    }
    const page = (await rt.call('GET', `/tasks?workspace=${encodeURIComponent(workspace)}&events=all`)).body
    // What was compared holds what it should: both tasks, the run's output and its attempt.
    expect(page).toHaveLength(2)
    const shown = page.find((task: any) => task.id === ran)
    expect(shown.events.map((event: any) => event.message)).toContain('<two> "three"')
    expect(shown.attempts).toHaveLength(1)
  })

  test('the list holds every runner unless one is asked for', async () => {
    const agent = (
      await rt.call('POST', '/tasks', {
        title: 'agent task',
        prompt: 'a goal',
        runner: 'codex',
        workspace: repo,
      })
    ).body.id
    const shellTask = (await shell('echo listed', { title: 'shell task' })).body.id
    const all = (await rt.call('GET', '/tasks?limit=500&events=none')).body.map((t: any) => t.id)
    expect(all).toContain(agent)
    expect(all).toContain(shellTask)
    const codex = (await rt.call('GET', '/tasks?runner=codex&limit=500&events=none')).body
    expect(codex.map((t: any) => t.id)).toContain(agent)
    expect(codex.every((t: any) => t.runner === 'codex')).toBe(true)
    expect((await rt.call('GET', '/tasks?runner=nope')).status).toBe(400)
  })

  test('events page by seq with after and limit', async () => {
    const id = (await shell('for i in 1 2 3 4 5 6; do echo $i; done')).body.id
    await rt.call('POST', `/tasks/${id}/start`)
    await settled(id)
    const all = (await rt.call('GET', `/tasks/${id}/events?limit=1000`)).body
    const page = (await rt.call('GET', `/tasks/${id}/events?after=2&limit=3`)).body
    expect(page.map((e: any) => e.seq)).toEqual([3, 4, 5])
    expect(page).toEqual(all.slice(2, 5))
    const task = (await rt.call('GET', `/tasks/${id}?events=2`)).body
    expect(task.events.map((e: any) => e.seq)).toEqual(all.slice(-2).map((e: any) => e.seq))
    expect(task.events_truncated).toBe(true)
    expect(task.last_seq).toBe(all.at(-1).seq)
  })
})

describe('approval, logs, attach, delete', () => {
  test('a gated task waits in needs-input until approved; the approval records who, when and the note', async () => {
    const id = (await shell('echo approved run', { policy: { require_approval: true } })).body.id
    const started = await rt.call('POST', `/tasks/${id}/start`)
    expect(started.body).toMatchObject({ status: 'needs-input', state: 'needs-input.approval' })
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(409)
    const approved = await rt.call('POST', `/tasks/${id}/approve`, { note: 'looks safe' })
    expect(approved.status).toBe(200)
    expect(approved.body.approved_at).toBeString()
    expect((await settled(id)).status).toBe('completed')
    const events = (await rt.call('GET', `/tasks/${id}/events`)).body
    const approval = events.find((e: any) => e.metadata?.category === 'approved')
    expect(approval).toMatchObject({ kind: 'lifecycle', message: 'Task approved: looks safe' })
    expect(approval.metadata).toMatchObject({ approved_by: 'local user', note: 'looks safe' })
    expect(approval.created_at).toBeString()
  })

  test('runner logs and attach', async () => {
    const id = (await shell('echo to the log')).body.id
    await rt.call('POST', `/tasks/${id}/start`)
    await settled(id)
    const logs = (await rt.call('GET', `/tasks/${id}/runner/logs`)).body
    expect(logs).toMatchObject({ task_id: id, runner: 'shell', session_id: null })
    expect(logs.events.some((e: any) => e.message === 'to the log')).toBe(true)
    const attach = (await rt.call('POST', `/tasks/${id}/runner/attach`)).body
    expect(attach).toMatchObject({ task_id: id, supported: false, command: null })
  })

  test('delete is refused while running and for unmerged changes unless forced', async () => {
    const id = (await shell('echo change > change.txt; echo ready; sleep 1000')).body.id
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor('the change to be made', async () =>
      (await rt.call('GET', `/tasks/${id}/events`)).body.some((e: any) => e.message === 'ready'),
    )
    expect((await rt.call('DELETE', `/tasks/${id}`)).status).toBe(409)
    await rt.call('POST', `/tasks/${id}/stop`)
    const refused = await rt.call('DELETE', `/tasks/${id}`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('unmerged_changes')
    expect((await rt.call('DELETE', `/tasks/${id}?force=true`)).status).toBe(200)
    expect((await rt.call('GET', `/tasks/${id}`)).status).toBe(404)
    expect(rt.runtime.store.events.count(id)).toBe(0)
  })
})

describe('storage refusing writes', () => {
  test('a write the database refuses is a 503 that changed nothing; reads keep working', async () => {
    const before = (await rt.call('GET', '/tasks?limit=500&events=none')).body.length
    rt.runtime.store.db.exec('PRAGMA query_only = ON')
    try {
      const refused = await shell('echo never')
      expect(refused.status).toBe(503)
      expect(refused.body.error.code).toBe('storage_unavailable')
      const read = await rt.call('GET', '/tasks?limit=500&events=none')
      expect(read.status).toBe(200)
      expect(read.body.length).toBe(before)
    } finally {
      rt.runtime.store.db.exec('PRAGMA query_only = OFF')
    }
    expect((await shell('echo again')).status).toBe(200)
  })
})
