import { afterEach, expect, test } from 'bun:test'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { inProcess } from './runner-client'

let rt: TestRuntime
afterEach(async () => {
  await rt.close()
})

test('the runner hosts page lists every host with what it reported, escaped, and the header links to it', async () => {
  rt = await startTestRuntime()
  const hostile = '<img src=x onerror=alert(1)>'
  const created = await rt.call('POST', '/runner-hosts', { name: 'page-host', labels: ['gpu'] })
  await rt.call('POST', '/runner-hosts', { name: 'never-came' })
  const registered = await inProcess(rt).call(
    'POST',
    '/runner/v1/register',
    {
      runners: { shell: { version: hostile }, codex: { version: '0.169.0' } },
      sandbox: false,
      slots: 3,
      labels: ['zone=eu'],
    },
    created.body.token,
  )
  expect(registered.status).toBe(200)
  const page = await rt.handle('/runner-hosts/view', { headers: { accept: 'text/html' } })
  expect(page.status).toBe(200)
  const body = await page.text()
  expect(body).toContain('href="/runner-hosts/view"')
  expect(body).not.toContain(hostile)
  expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;')
  const rows = [...body.matchAll(/<tr data-host="[^"]+" data-status="(\w+)">([\s\S]*?)<\/tr>/g)]
  expect(rows.map((row) => row[1])).toEqual(['online', 'pending'])
  const online = rows[0]?.[2] ?? ''
  for (const shown of ['page-host', '0 / 3', 'gpu, zone=eu', 'Codex 0.169.0', '>no<'])
    expect(online).toContain(shown)
  expect(rows[1]?.[2]).toContain('never')
  const fragment = await rt.handle('/ui/runner-hosts')
  expect(await fragment.text()).toContain('never-came')
  // Unsigned, the page is refused like every other.
  const unsigned = await rt.app.handle(new Request('http://localhost/runner-hosts/view'))
  expect(unsigned.status).toBe(401)
})
