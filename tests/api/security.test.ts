import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { outputOf, tasksApi } from '../runners/api'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime } from '../support/runtime'
import { api, serverRefusal, spawnServer } from '../support/server-process'
import { tempDir } from '../support/temp'

const dir = tempDir()
afterAll(() => dir.cleanup())

const json = { 'content-type': 'application/json' }
// A project of its own: the temp dir itself holds the servers' data directories, never a workspace.
const project = makeRepo(join(dir.path, 'project'))
const body = JSON.stringify({ title: 'x', prompt: '', runner: 'shell', command: 'true', workspace: project })

describe('browser-facing protections (app.handle, with the token: refusals are not for want of it)', () => {
  test('cross-origin requests are refused unless listed; listed origins get CORS headers', async () => {
    const rt = await startTestRuntime({ OPENRUNTIME_CORS_ORIGINS: 'http://localhost:5173' })
    /** With the token, as a signed-in client sends it: each refusal below is for another reason. */
    const signed = (request: Request) => {
      request.headers.set('authorization', `Bearer ${rt.token}`)
      return request
    }
    try {
      const count = () => rt.runtime.store.tasks.list({ limit: 100 }).length
      const before = count()
      const evil = await rt.app.handle(
        signed(
          new Request('http://localhost/tasks', {
            method: 'POST',
            headers: { ...json, origin: 'https://evil.example' },
            body,
          }),
        ),
      )
      expect(evil.status).toBe(403)
      expect((await evil.json()).error.code).toBe('cross_origin_refused')
      const readEvil = await rt.app.handle(
        signed(new Request('http://localhost/tasks', { headers: { origin: 'https://evil.example' } })),
      )
      expect(readEvil.status).toBe(403)
      const noOriginCrossSite = await rt.app.handle(
        signed(
          new Request('http://localhost/tasks', {
            method: 'POST',
            headers: { ...json, 'sec-fetch-site': 'cross-site' },
            body,
          }),
        ),
      )
      expect(noOriginCrossSite.status).toBe(403)
      expect(count()).toBe(before)

      const sameOrigin = await rt.app.handle(
        signed(
          new Request('http://localhost/tasks', {
            method: 'POST',
            headers: { ...json, origin: 'http://localhost' },
            body,
          }),
        ),
      )
      expect(sameOrigin.status).toBe(200)
      const preflight = await rt.app.handle(
        signed(
          new Request('http://localhost/tasks', {
            method: 'OPTIONS',
            headers: { origin: 'http://localhost:5173' },
          }),
        ),
      )
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      const listed = await rt.app.handle(
        signed(new Request('http://localhost/health', { headers: { origin: 'http://localhost:5173' } })),
      )
      expect(listed.status).toBe(200)
      expect(listed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
      const rebinding = await rt.app.handle(signed(new Request('http://attacker.example/tasks')))
      expect(rebinding.status).toBe(403)
      expect((await rebinding.json()).error.code).toBe('host_not_allowed')
    } finally {
      await rt.close()
    }
  })

  test('a malformed Origin header is a JSON 403, on reads, writes and preflights alike', async () => {
    const rt = await startTestRuntime({ OPENRUNTIME_CORS_ORIGINS: 'http://localhost:5173' })
    try {
      const before = rt.runtime.store.tasks.list({ limit: 100 }).length
      for (const origin of ['garbage', 'http://', '://x', 'http//localhost']) {
        for (const init of [
          { method: 'POST', headers: { ...json, origin }, body },
          { method: 'GET', headers: { origin } },
          { method: 'OPTIONS', headers: { origin } },
        ]) {
          const response = await rt.app.handle(new Request('http://localhost/tasks', init))
          expect(response.status).toBe(403)
          expect(response.headers.get('content-type')).toStartWith('application/json')
          const refusal = await response.json()
          expect(refusal.error.code).toBe('cross_origin_refused')
          expect(refusal.error.message).toContain(origin)
        }
      }
      expect(rt.runtime.store.tasks.list({ limit: 100 }).length).toBe(before)
    } finally {
      await rt.close()
    }
  })

  test('with a token, every request needs it: Bearer header or the login cookie', async () => {
    const rt = await startTestRuntime({ OPENRUNTIME_TOKEN: 's3cret-token' })
    try {
      const bare = await rt.app.handle(new Request('http://localhost/tasks'))
      expect(bare.status).toBe(401)
      expect((await bare.json()).error.code).toBe('unauthorized')
      const wrong = await rt.app.handle(
        new Request('http://localhost/tasks', { headers: { authorization: 'Bearer nope' } }),
      )
      expect(wrong.status).toBe(401)
      const bearer = await rt.app.handle(
        new Request('http://localhost/tasks', { headers: { authorization: 'Bearer s3cret-token' } }),
      )
      expect(bearer.status).toBe(200)
      expect((await rt.app.handle(new Request('http://localhost/login'))).status).toBe(200)
      const failed = await rt.app.handle(
        new Request('http://localhost/login', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'token=wrong',
        }),
      )
      expect(failed.status).toBe(401)
      const login = await rt.app.handle(
        new Request('http://localhost/login', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'token=s3cret-token',
        }),
      )
      expect(login.status).toBe(303)
      const cookie = login.headers.get('set-cookie') ?? ''
      expect(cookie).toContain('HttpOnly')
      expect(cookie).toContain('SameSite=Strict')
      const withCookie = await rt.app.handle(
        new Request('http://localhost/tasks', { headers: { cookie: cookie.split(';')[0] as string } }),
      )
      expect(withCookie.status).toBe(200)
    } finally {
      await rt.close()
    }
  })
})

describe('access token on loopback (a real server)', () => {
  test('without the credential every request but /health and /login is refused; header, cookie and link work; the token file is 0600 and reused', async () => {
    const dataDir = join(dir.path, 'token-default')
    const env = { OPENRUNTIME_DB: join(dataDir, 'db.sqlite3') }
    let server = await spawnServer(env)
    try {
      const tokenFile = join(dataDir, 'token')
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600)
      const token = readFileSync(tokenFile, 'utf8').trim()
      expect(token.length).toBeGreaterThanOrEqual(40)
      expect(server.signInUrl).toBe(`${server.url}/login?token=${token}`)
      expect(server.output()).toContain(tokenFile)

      const created = () =>
        fetch(`${server.url}/tasks`, { method: 'POST', headers: { ...json, origin: server.url }, body })
      for (const refused of [
        await fetch(`${server.url}/tasks`),
        await created(),
        await fetch(`${server.url}/tasks`, { headers: { authorization: 'Bearer guessed' } }),
        await fetch(`${server.url}/runners`, { headers: { cookie: 'openruntime_token=guessed' } }),
      ]) {
        expect(refused.status).toBe(401)
        expect((await refused.json()).error.code).toBe('unauthorized')
      }
      // A browser is sent to sign in instead of seeing JSON.
      const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' })
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toBe('/login')
      expect((await fetch(`${server.url}/health`)).status).toBe(200)
      expect((await fetch(`${server.url}/login`)).status).toBe(200)
      expect((await api(server, 'GET', '/tasks')).body).toEqual([])

      const header = await fetch(`${server.url}/tasks`, { headers: { authorization: `Bearer ${token}` } })
      expect(header.status).toBe(200)
      const wrongLink = await fetch(`${server.url}/login?token=guessed`, { redirect: 'manual' })
      expect(wrongLink.status).toBe(401)
      expect(wrongLink.headers.get('set-cookie')).toBeNull()
      const link = await fetch(server.signInUrl as string, { redirect: 'manual' })
      expect(link.status).toBe(303)
      expect(link.headers.get('location')).toBe('/')
      expect(link.headers.get('cache-control')).toBe('no-store')
      expect(link.headers.get('referrer-policy')).toBe('no-referrer')
      const cookie = link.headers.get('set-cookie') ?? ''
      expect(cookie).toContain('HttpOnly')
      expect(cookie).toContain('SameSite=Strict')
      const withCookie = await fetch(`${server.url}/tasks`, {
        headers: { cookie: cookie.split(';')[0] as string },
      })
      expect(withCookie.status).toBe(200)
      const dashboard = await fetch(`${server.url}/`, { headers: { cookie: cookie.split(';')[0] as string } })
      expect(dashboard.status).toBe(200)

      await server.kill('SIGTERM')
      server = await spawnServer(env)
      expect(server.token).toBe(token)
      expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token)
      expect(
        (await fetch(`${server.url}/tasks`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200)
    } finally {
      await server.kill('SIGTERM')
    }
  })

  test('the generated token is redacted from what a run prints, like the secret variables of the server', async () => {
    const rt = await startTestRuntime()
    try {
      const api = tasksApi(rt)
      const id = await api.create({
        runner: 'shell',
        command: `echo "seen: ${rt.token}"`,
        workspace: makeRepo(join(rt.dir, 'repo')),
      })
      await api.run(id)
      const task = await api.settled(id)
      const printed = outputOf(task).join('\n')
      expect(printed).toStartWith('seen: ')
      expect(printed).not.toContain(rt.token as string)
    } finally {
      await rt.close()
    }
  })

  test('OPENRUNTIME_TOKEN sets the token instead (no file is made)', async () => {
    const dataDir = join(dir.path, 'token-set')
    const server = await spawnServer({
      OPENRUNTIME_DB: join(dataDir, 'db.sqlite3'),
      OPENRUNTIME_TOKEN: 'chosen-token-123',
    })
    try {
      expect(server.token).toBe('chosen-token-123')
      expect(existsSync(join(dataDir, 'token'))).toBe(false)
      expect((await fetch(`${server.url}/tasks`)).status).toBe(401)
      expect((await api(server, 'GET', '/tasks')).status).toBe(200)
    } finally {
      await server.kill('SIGTERM')
    }
  })

  test('OPENRUNTIME_AUTH=none needs no credential on loopback, and says so', async () => {
    const dataDir = join(dir.path, 'auth-none')
    const server = await spawnServer({
      OPENRUNTIME_DB: join(dataDir, 'db.sqlite3'),
      OPENRUNTIME_AUTH: 'none',
    })
    try {
      expect(server.token).toBeNull()
      expect(server.output()).toContain('no credential required')
      expect(existsSync(join(dataDir, 'token'))).toBe(false)
      expect((await fetch(`${server.url}/tasks`)).status).toBe(200)
      const created = await fetch(`${server.url}/tasks`, { method: 'POST', headers: json, body })
      expect(created.status).toBe(200)
    } finally {
      await server.kill('SIGTERM')
    }
  })
})

describe('listening address', () => {
  test('off loopback the server refuses to start with OPENRUNTIME_AUTH=none; a malformed or contradictory setting is refused too', async () => {
    const refusal = await serverRefusal({
      HOST: '127.0.0.2',
      OPENRUNTIME_AUTH: 'none',
      OPENRUNTIME_DB: join(dir.path, 'a', 'db.sqlite3'),
    })
    expect(refusal.code).toBe(1)
    expect(refusal.output).toContain('OPENRUNTIME_AUTH=none')
    expect(refusal.output).toContain('loopback only')
    const unknown = await serverRefusal({
      OPENRUNTIME_AUTH: 'off',
      OPENRUNTIME_DB: join(dir.path, 'a', 'db.sqlite3'),
    })
    expect(unknown.code).toBe(1)
    expect(unknown.output).toContain('OPENRUNTIME_AUTH must be "token" or "none", got "off"')
    const both = await serverRefusal({
      OPENRUNTIME_AUTH: 'none',
      OPENRUNTIME_TOKEN: 'x'.repeat(20),
      OPENRUNTIME_DB: join(dir.path, 'a', 'db.sqlite3'),
    })
    expect(both.code).toBe(1)
    expect(both.output).toContain('contradict')
  })

  test('off loopback with a token, requests without it are refused', async () => {
    const server = await spawnServer({
      HOST: '127.0.0.2',
      OPENRUNTIME_TOKEN: 'lan-token',
      OPENRUNTIME_DB: join(dir.path, 'b', 'db.sqlite3'),
    })
    try {
      expect(server.url).toStartWith('http://127.0.0.2:')
      expect((await fetch(`${server.url}/tasks`)).status).toBe(401)
      const ok = await fetch(`${server.url}/tasks`, { headers: { authorization: 'Bearer lan-token' } })
      expect(ok.status).toBe(200)
      const oversized = await fetch(`${server.url}/tasks`, {
        method: 'POST',
        headers: { ...json, authorization: 'Bearer lan-token' },
        body: 'x'.repeat(3 * 1024 * 1024),
      })
      expect(oversized.status).toBe(413)
    } finally {
      await server.kill('SIGTERM')
    }
  })
})

describe('path traversal', () => {
  test('`..` through files, NUL bytes and `..` out of an allowlist are refused over HTTP; nothing is registered', async () => {
    const rt = await startTestRuntime()
    try {
      const root = realpathSync(rt.dir)
      mkdirSync(join(root, 'allowed', 'sub'), { recursive: true })
      mkdirSync(join(root, 'private'))
      writeFileSync(join(root, 'allowed', 'notes.txt'), 'a file\n')
      const before = (await rt.call('GET', '/workspaces')).body.length

      // Written out: path.join would fold the `..` away before the server sees it.
      for (const path of [
        `${root}/allowed/notes.txt/../sub`,
        `${root}/allowed/sub/../notes.txt`,
        `${root}/allowed\0/sub`,
      ]) {
        const registered = await rt.call('POST', '/workspaces/register', { path })
        expect(registered.status).toBe(400)
        expect(registered.body.error.code).toMatch(/^(not_a_directory|invalid_path)$/)
        const browsed = await rt.call('GET', `/workspaces/browse?path=${encodeURIComponent(path)}`)
        expect(browsed.status).toBe(400)
      }
      expect((await rt.call('GET', '/workspaces')).body.length).toBe(before)

      // The allowlist is checked on the canonical path: `..` cannot climb out of it.
      const tasksBefore = rt.runtime.store.tasks.list({ limit: 100 }).length
      const climber = await rt.call('POST', '/tasks', {
        title: 'escape',
        prompt: '',
        runner: 'shell',
        command: 'true',
        workspace: `${root}/allowed/../private`,
        policy: { allowed_workspaces: [join(root, 'allowed')] },
      })
      expect(climber.status).toBe(403)
      expect(climber.body.error.details).toEqual({
        rule: 'workspace-allowlist',
        offending: join(root, 'private'),
      })
      expect(rt.runtime.store.tasks.list({ limit: 100 }).length).toBe(tasksBefore)
      const inside = await rt.call('POST', '/tasks', {
        title: 'inside',
        prompt: '',
        runner: 'shell',
        command: 'true',
        workspace: `${root}/allowed/sub/..`,
        policy: { allowed_workspaces: [join(root, 'allowed')], allow_in_place: true },
      })
      expect(inside.status).toBe(200)
      expect(inside.body.workspace).toBe(join(root, 'allowed'))
      expect((await rt.call('POST', `/tasks/${inside.body.id}/start`)).status).toBe(200)
    } finally {
      await rt.close()
    }
  })
})
