import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { type Caller, inProcess, SHELL_HOST } from './runner-client'

let rt: TestRuntime
let client: Caller
beforeEach(async () => {
  rt = await startTestRuntime()
  client = inProcess(rt)
})
afterEach(async () => {
  await rt.close()
})

describe('runner host registry', () => {
  test('a created host shows its token once; the list and the host never show it again', async () => {
    const created = await rt.call('POST', '/runner-hosts', { name: 'builder-1', labels: ['gpu'] })
    expect(created.status).toBe(201)
    expect(created.body.token).toMatch(/^ort_[A-Za-z0-9_-]{43}$/)
    expect(created.body).toMatchObject({
      name: 'builder-1',
      status: 'pending',
      labels: ['gpu'],
      running_attempts: [],
    })
    const token: string = created.body.token
    expect(created.body.token_prefix).toBe(token.slice(0, 8))
    const list = await rt.call('GET', '/runner-hosts')
    expect(list.status).toBe(200)
    expect(list.body.map((host: { name: string }) => host.name)).toEqual(['builder-1'])
    const one = await rt.call('GET', `/runner-hosts/${created.body.id}`)
    for (const answer of [JSON.stringify(list.body), JSON.stringify(one.body)])
      expect(answer).not.toContain(token)
    expect(one.body.token).toBeUndefined()
  })

  test('unknown fields and bad values are refused, naming them', async () => {
    const unknown = await rt.call('POST', '/runner-hosts', { name: 'a', colour: 'red' })
    expect(unknown.status).toBe(400)
    expect(unknown.body.error.message).toContain('colour')
    const badLabel = await rt.call('POST', '/runner-hosts', { name: 'a', labels: ['no spaces'] })
    expect(badLabel.status).toBe(400)
    expect(badLabel.body.error.message).toContain('labels')
    const badName = await rt.call('POST', '/runner-hosts', { name: '<script>' })
    expect(badName.status).toBe(400)
    expect(badName.body.error.message).toContain('name')
    await rt.call('POST', '/runner-hosts', { name: 'twin' })
    const twin = await rt.call('POST', '/runner-hosts', { name: 'twin' })
    expect(twin.status).toBe(409)
    const missing = await rt.call('GET', '/runner-hosts/00000000-0000-4000-8000-000000000000')
    expect(missing.status).toBe(404)
  })

  test('register and heartbeat make the host online with what it reported', async () => {
    const { body: host } = await rt.call('POST', '/runner-hosts', { name: 'b', labels: ['gpu'] })
    const early = await client.call(
      'POST',
      '/runner/v1/heartbeat',
      { slots_in_use: 0, attempts: [] },
      host.token,
    )
    expect(early.status).toBe(409)
    const registered = await client.call('POST', '/runner/v1/register', SHELL_HOST, host.token)
    expect(registered.status).toBe(200)
    expect(registered.body).toEqual({ host_id: host.id, lease_ms: 30_000 })
    const beat = await client.call(
      'POST',
      '/runner/v1/heartbeat',
      { slots_in_use: 1, attempts: [] },
      host.token,
    )
    expect(beat.body).toEqual({ lease_ms: 30_000, stop: [] })
    const seen = (await rt.call('GET', `/runner-hosts/${host.id}`)).body
    expect(seen).toMatchObject({
      status: 'online',
      slots: 2,
      slots_in_use: 1,
      sandbox: true,
      runners: { shell: { version: 'bash 5.2' } },
    })
    expect(seen.labels.sort()).toEqual(['gpu', 'linux'])
    expect(seen.last_heartbeat_at).not.toBeNull()
    const bad = await client.call('POST', '/runner/v1/register', { ...SHELL_HOST, slots: -1 }, host.token)
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('slots')
    const extra = await client.call(
      'POST',
      '/runner/v1/register',
      { ...SHELL_HOST, runners: { perl: { version: '5' } } },
      host.token,
    )
    expect(extra.status).toBe(400)
    expect(extra.body.error.message).toContain('perl')
  })
})

describe('runner auth boundaries', () => {
  test("a user token is 401 on runner routes, a runner token 401 on the user's routes", async () => {
    const { body: host } = await rt.call('POST', '/runner-hosts', { name: 'c' })
    const asUser = await client.call('POST', '/runner/v1/register', SHELL_HOST, rt.token ?? '')
    expect(asUser.status).toBe(401)
    const none = await client.call('POST', '/runner/v1/register', SHELL_HOST)
    expect(none.status).toBe(401)
    const forged = await client.call('POST', '/runner/v1/register', SHELL_HOST, `ort_${'A'.repeat(43)}`)
    expect(forged.status).toBe(401)
    for (const path of ['/tasks', '/runner-hosts', `/runner-hosts/${host.id}`]) {
      const asRunner = await client.call('GET', path, undefined, host.token)
      expect(asRunner.status).toBe(401)
    }
    expect((await client.call('POST', '/runner/v1/register', SHELL_HOST, host.token)).status).toBe(200)
  })

  test('a revoked token is refused on every runner route at once; its running attempt fails with the reason', async () => {
    const repo = makeRepo(`${rt.dir}/repo`)
    const { body: host } = await rt.call('POST', '/runner-hosts', { name: 'gone' })
    await client.call('POST', '/runner/v1/register', SHELL_HOST, host.token)
    const task = await rt.call('POST', '/tasks', {
      title: 'remote',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      runner_labels: ['linux'],
    })
    expect(task.status).toBe(200)
    expect(task.body.runner_labels).toEqual(['linux'])
    expect((await rt.call('POST', `/tasks/${task.body.id}/start`)).status).toBe(200)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, host.token)
    expect(claim.status).toBe(200)
    const revoked = await rt.call('DELETE', `/runner-hosts/${host.id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.status).toBe('revoked')
    const after = (await rt.call('GET', `/tasks/${task.body.id}?events=none`)).body
    expect(after.status).toBe('failed')
    expect(after.current_attempt.summary).toBe('runner host gone revoked')
    const routes: [string, string, unknown][] = [
      ['POST', '/runner/v1/register', SHELL_HOST],
      ['POST', '/runner/v1/heartbeat', { slots_in_use: 0, attempts: [] }],
      ['POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }],
      [
        'POST',
        `/runner/v1/attempts/${claim.body.attempt_id}/events`,
        { from: 1, events: [{ kind: 'stdout', message: 'x' }] },
      ],
      [
        'POST',
        `/runner/v1/attempts/${claim.body.attempt_id}/outcome`,
        { exit_status: 'exit code 0', exit_code: 0, summary: 'ok', has_changes: false },
      ],
      ['GET', '/runner/v1/control', undefined],
      ['POST', '/runner/v1/control/1/ack', undefined],
      ['GET', '/git/x.git/info/refs?service=git-upload-pack', undefined],
    ]
    for (const [method, path, body] of routes) {
      const answer = await client.call(method, path, body, host.token)
      expect([path, answer.status]).toEqual([path, 401])
    }
  })
})
