import { afterEach, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { inProcess, SHELL_HOST } from './runner-client'

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

test('GET /runner-hosts and the page show what a busy host reported: slots in use, last heartbeat, its running attempt linked to its task', async () => {
  rt = await startTestRuntime()
  const runner = inProcess(rt)
  const created = await rt.call('POST', '/runner-hosts', { name: 'busy-host', labels: ['linux'] })
  const token: string = created.body.token
  expect((await runner.call('POST', '/runner/v1/register', SHELL_HOST, token)).status).toBe(200)
  const task = await rt.call('POST', '/tasks', {
    title: 'remote',
    prompt: '',
    runner: 'shell',
    command: 'sleep 100',
    workspace: makeRepo(join(rt.dir, 'repo')),
    runner_labels: ['linux'],
  })
  expect((await rt.call('POST', `/tasks/${task.body.id}/start`)).status).toBe(200)
  const claim = await runner.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, token)
  expect(claim.status).toBe(200)
  const beat = await runner.call(
    'POST',
    '/runner/v1/heartbeat',
    { slots_in_use: 1, attempts: [claim.body.attempt_id] },
    token,
  )
  expect(beat.status).toBe(200)
  const [listed] = (await rt.call('GET', '/runner-hosts')).body
  expect(listed).toMatchObject({
    name: 'busy-host',
    status: 'online',
    slots: 2,
    slots_in_use: 1,
    labels: ['linux'],
    runners: { shell: { version: 'bash 5.2' } },
    sandbox: true,
  })
  expect(Date.parse(listed.last_heartbeat_at)).not.toBeNaN()
  expect(listed.running_attempts).toMatchObject([
    { id: claim.body.attempt_id, task_id: task.body.id, attempt_number: 1, status: 'running' },
  ])
  const body = await (await rt.handle('/runner-hosts/view', { headers: { accept: 'text/html' } })).text()
  const row = body.match(/<tr data-host="[^"]+" data-status="online">([\s\S]*?)<\/tr>/)?.[1] ?? ''
  for (const shown of ['busy-host', '1 / 2', 'linux', 'Shell bash 5.2', '>yes<']) expect(row).toContain(shown)
  expect(row).toContain(`<time datetime="${listed.last_heartbeat_at}">`)
  expect(row).toContain(`href="/tasks/${task.body.id}/view"`)
  expect(row).toContain(`task ${task.body.id.slice(0, 8)}, attempt 1 (running)`)
})
