import { expect } from 'bun:test'
import { join } from 'node:path'
import { createApp } from '../../src/app'
import { composeAdapters } from '../../src/compose'
import { type Config, loadConfig } from '../../src/config'
import { startRuntime } from '../../src/runtime'
import { tempDir } from './temp'

/**
 * A complete runtime over a fresh data directory (real SQLite, real queue, real processes), with
 * the HTTP app on top. `handle` sends one request with the server's token (as every client must),
 * `call` one JSON request, returning status and body; `app.handle` sends one without the token.
 */
export async function startTestRuntime(env: Record<string, string> = {}) {
  const dir = tempDir()
  const config = loadConfig(
    {
      OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3'),
      OPENRUNTIME_STOP_GRACE_MS: '1000',
      ...env,
    },
    dir.path,
  )
  return runtimeOn(dir, config)
}

async function runtimeOn(dir: ReturnType<typeof tempDir>, config: Config) {
  const runtime = await startRuntime(config, composeAdapters(config))
  const app = createApp(runtime)
  const { token } = runtime.config
  /** What every request carries, as a client of this server must (nothing when auth is off). */
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  /** One request through the app, signed with the token; `path` may also be a whole URL. */
  const handle = (path: string, init: RequestInit = {}) =>
    app.handle(
      new Request(path.startsWith('http') ? path : `http://localhost${path}`, {
        ...init,
        headers: { ...auth, ...(init.headers as Record<string, string> | undefined) },
      }),
    )
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await handle(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  }
  return {
    dir: dir.path,
    temp: dir,
    runtime,
    app,
    token,
    auth,
    handle,
    call,
    async close() {
      await runtime.close()
      dir.cleanup()
    },
  }
}

export type TestRuntime = Awaited<ReturnType<typeof startTestRuntime>>

/**
 * Closes the runtime and starts a new one over the same data directory, as the server started
 * again after it stopped (or died: nothing in flight is finished on the way down).
 */
export async function restartTestRuntime(rt: TestRuntime): Promise<TestRuntime> {
  await rt.runtime.close()
  return runtimeOn(rt.temp, rt.runtime.config)
}

/** Creates a shell task running `command` in `workspace` (title from the command); its id. */
export async function createShellTask(
  rt: Pick<TestRuntime, 'call'>,
  workspace: string,
  command: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const created = await rt.call('POST', '/tasks', {
    title: command.slice(0, 40),
    prompt: '',
    runner: 'shell',
    command,
    workspace,
    ...extra,
  })
  expect(created.body?.error ?? null).toBeNull()
  expect(created.status).toBe(200)
  return created.body.id as string
}
