import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { ToolApproval } from '../../src/domain'
import { conflict } from '../../src/errors'
import { errorResponse } from '../../src/routes/pages/respond'
import { TaskDetails } from '../../src/views/task-details'
import { makeRepo } from '../support/git-repo'
import { countElements } from '../support/html-parse'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime()
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const PAYLOAD = '<img src=x onerror=alert(1)> &amp;'

/** The value of one attribute of the first element matching a selector, as a parser decodes it. */
async function attributeOf(html: string, selector: string, name: string): Promise<string | null> {
  let value: string | null = null
  await new HTMLRewriter()
    .on(selector, {
      element(element) {
        value ??= element.getAttribute(name)
      },
    })
    .transform(new Response(html))
    .text()
  return value === null ? null : decodeEntities(value)
}

// HTMLRewriter hands attribute values over undecoded.
const decodeEntities = (text: string) =>
  text
    .replace(/&#34;/g, '"')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** A request as htmx sends it: a form body and the HX-Request header. */
function htmx(
  method: string,
  path: string,
  form: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  return rt.handle(path, {
    method,
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: method === 'GET' ? undefined : new URLSearchParams(form).toString(),
  })
}

async function draft(title = 'a draft'): Promise<string> {
  const created = await rt.call('POST', '/tasks', {
    title,
    prompt: '',
    runner: 'shell',
    command: 'true',
    workspace: repo,
  })
  return created.body.id
}

describe('page routes', () => {
  test('refused actions answer a readable HTML message with the API status, for #flash', async () => {
    const id = await draft()
    const response = await htmx('POST', `/ui/tasks/${id}/merge`, { strategy: 'apply' })
    expect(response.status).toBe(409)
    expect(response.headers.get('content-type')).toContain('text/html')
    const body = await response.text()
    expect(body).toContain('role="alert"')
    expect(body).toContain(`cannot merge task ${id}: it is queued.draft`)

    const missing = await htmx('POST', `/ui/tasks/${id}/approvals/${crypto.randomUUID()}`, { allow: 'true' })
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('approval')
    expect((await htmx('POST', `/ui/tasks/${id}/nonsense`)).status).toBe(404)
    expect((await htmx('GET', `/ui/tasks/${id}/events?before=soon`)).status).toBe(400)
  })

  test('a merge conflict lists the conflicting files', async () => {
    const response = errorResponse(
      conflict('merge_conflict', 'the changes conflict; nothing was changed', {
        files: ['src/a.ts', PAYLOAD],
      }),
    )
    expect(response.status).toBe(409)
    const body = await response.text()
    expect(await countElements(body, 'ul.conflicts li code')).toBe(2)
    expect(await countElements(body, 'img')).toBe(0)
  })

  test('a dispatch the core refuses says why, escaped', async () => {
    const response = await htmx('POST', '/ui/tasks', {
      runner: 'shell',
      title: PAYLOAD,
      command: ' ',
      workspace: repo,
    })
    expect(response.status).toBe(400)
    const body = await response.text()
    expect(body).toContain('command is required for the shell runner')
    const unknown = await htmx('POST', '/ui/tasks', {
      runner: 'shell',
      command: 'x',
      workspace: join(repo, PAYLOAD),
    })
    expect(unknown.status).toBe(400)
    const text = await unknown.text()
    expect(await countElements(text, 'img')).toBe(0)
    expect(text).toContain('&lt;img')
  })

  test('an action answers with its message and the regions it changed; delete sends the browser home', async () => {
    const id = await draft()
    const started = await htmx(
      'POST',
      `/ui/tasks/${id}/stop`,
      {},
      { 'hx-current-url': `http://localhost/tasks/${id}/view` },
    )
    expect(started.status).toBe(200)
    const body = await started.text()
    expect(body).toContain('Stopped.')
    expect(body).toContain('<hx-partial hx-target="#task-summary" hx-swap="outerMorph">')
    expect(body).toContain('data-task-status="stopped"')
    const deleted = await htmx('POST', `/ui/tasks/${id}/delete`)
    expect(deleted.headers.get('hx-redirect')).toBe('/')
    expect((await rt.call('GET', `/tasks/${id}`)).status).toBe(404)
  })

  test('pages render, a missing task is a page that says so, and nothing leaks into the OpenAPI document', async () => {
    const id = await draft(PAYLOAD)
    const dashboard = await rt.handle('/')
    expect(dashboard.status).toBe(200)
    const html = await dashboard.text()
    expect(html).toContain('id="dispatch-form"')
    expect(await countElements(html, 'img')).toBe(0)
    expect(await attributeOf(html, `.roster-item[data-task-id="${id}"]`, 'data-task-title')).toBe(PAYLOAD)
    const page = await (await rt.handle(`/tasks/${id}/view`)).text()
    expect(await countElements(page, 'img')).toBe(0)
    expect(page).toContain('<title>&lt;img src=x onerror=alert(1)&gt; &amp;amp; · openRuntime</title>')
    expect(await attributeOf(page, '#task-summary', 'data-task-title')).toBe(PAYLOAD)
    const missing = await rt.handle(`/tasks/${crypto.randomUUID()}/review`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('Back to the dashboard')
    const spec = (await rt.call('GET', '/swagger/json')).body
    expect(
      Object.keys(spec.paths).filter((path) => /^\/(ui|assets)?($|\/)|\/(view|review)$/.test(path)),
    ).toEqual([])
  })

  test('assets are served locally with revalidation, and only the known ones', async () => {
    const first = await rt.handle('/assets/htmx.min.js')
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toContain('javascript')
    const etag = first.headers.get('etag') ?? ''
    const again = await rt.handle('/assets/htmx.min.js', { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
    expect((await rt.handle('/assets/..%2Fapp.ts')).status).toBe(404)
  })
})

describe('TaskDetails', () => {
  test('a pending tool approval is counted and links to its card in the timeline, its tool escaped', async () => {
    const id = await draft()
    const task = (await rt.call('GET', `/tasks/${id}`)).body
    const approval: ToolApproval = {
      id: 'a1',
      task_id: id,
      attempt_id: 'x',
      request_id: 'r1',
      tool: PAYLOAD,
      input: { command: PAYLOAD },
      status: 'pending',
      decided_by: null,
      decided_at: null,
      message: null,
      created_at: '2026-01-01T00:00:00.000Z',
    }
    const html = TaskDetails({
      task,
      approvals: [approval, { ...approval, id: 'a0', status: 'denied', decided_by: 'me' }],
    }) as string
    expect(await countElements(html, 'img')).toBe(0)
    expect(html).toContain('href="#approval-a1"')
    expect(html).not.toContain('hx-post')
    expect(html).toContain('Tool approvals waiting (1)')
    expect(html).toContain('denied')
  })
})
