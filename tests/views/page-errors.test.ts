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

/** A form post as htmx sends it. */
const post = (path: string, form: Record<string, string> = {}) =>
  rt.handle(path, {
    method: 'POST',
    headers: { 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  })

/** The message of the #flash error in an HTML answer, as a browser shows it. */
async function flashText(response: Response): Promise<string> {
  let text = ''
  await new HTMLRewriter()
    .on('[role="alert"] p > span', {
      text(chunk) {
        text += chunk.text
      },
    })
    .transform(response)
    .text()
  // HTMLRewriter hands text over undecoded.
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, decimal) => String.fromCodePoint(Number(decimal)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim()
}

const taskCount = () => rt.runtime.tasks.list({ limit: 500 }, 'none').length

describe('page routes fail as the API does', () => {
  test('a malformed task id is refused at the route with the API status and message: a page, a fragment, JSON', async () => {
    const api = await rt.call('GET', '/tasks/not-a-uuid')
    expect(api.status).toBe(400)
    expect(api.body.error.code).toBe('invalid_request')
    const { message } = api.body.error
    expect(message).toStartWith('invalid params: id')

    const page = await rt.handle('/tasks/not-a-uuid/view')
    expect(page.status).toBe(400)
    expect(page.headers.get('content-type')).toContain('text/html')
    const pageHtml = await page.clone().text()
    expect(pageHtml).toContain('Back to the dashboard')
    expect(await flashText(page)).toBe(message)

    const fragment = await post('/ui/tasks/not-a-uuid/stop')
    expect(fragment.status).toBe(400)
    expect(fragment.headers.get('content-type')).toContain('text/html')
    expect(await fragment.clone().text()).not.toContain('Back to the dashboard')
    expect(await flashText(fragment)).toBe(message)
  })

  test('a query the route does not take is refused before anything is read', async () => {
    const response = await rt.handle(`/ui/tasks/${crypto.randomUUID()}/events?before=${'9'.repeat(65)}`)
    expect(response.status).toBe(400)
    expect(await flashText(response)).toStartWith('invalid query: before')
  })

  test('a dispatch form over the API bounds is refused, naming the field, and nothing is stored', async () => {
    const before = taskCount()
    const response = await post('/ui/tasks', {
      runner: 'shell',
      command: 'true',
      workspace: repo,
      title: 'x'.repeat(501),
    })
    expect(response.status).toBe(400)
    expect(await flashText(response)).toStartWith('invalid body: title')
    expect(taskCount()).toBe(before)
  })

  test('a write the database refuses is a 503 on the pages too, and changes nothing', async () => {
    const before = taskCount()
    rt.runtime.store.db.exec('PRAGMA query_only = ON')
    try {
      const response = await post('/ui/tasks', { runner: 'shell', command: 'true', workspace: repo })
      expect(response.status).toBe(503)
      expect(await flashText(response)).toContain('the database cannot be written right now')
      const page = await rt.handle('/')
      expect(page.status).toBe(200)
    } finally {
      rt.runtime.store.db.exec('PRAGMA query_only = OFF')
    }
    expect(taskCount()).toBe(before)
  })

  test('an action no page offers is a 404 message; a path no route serves stays a JSON 404', async () => {
    const unknownAction = await post(`/ui/tasks/${crypto.randomUUID()}/launch`)
    expect(unknownAction.status).toBe(404)
    expect(await flashText(unknownAction)).toBe('no action "launch"')
    const inherited = await post(`/ui/tasks/${crypto.randomUUID()}/constructor`)
    expect(inherited.status).toBe(404)
    expect(await flashText(inherited)).toBe('no action "constructor"')
    const noRoute = await rt.handle('/ui/nowhere/at/all/here')
    expect(noRoute.status).toBe(404)
    expect(await noRoute.json()).toEqual({ error: { code: 'route_not_found', message: 'no such route' } })
  })
})
