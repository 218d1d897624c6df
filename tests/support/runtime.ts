import { join } from 'node:path'
import { createApp } from '../../src/app'
import { composeAdapters } from '../../src/compose'
import { loadConfig } from '../../src/config'
import { startRuntime } from '../../src/runtime'
import { tempDir } from './temp'

/**
 * A complete runtime over a fresh data directory (real SQLite, real queue, real processes), with
 * the HTTP app on top for `app.handle`. `call` sends one JSON request and returns status and body.
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
  const runtime = await startRuntime(config, composeAdapters(config))
  const app = createApp(runtime)
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  }
  return {
    dir: dir.path,
    runtime,
    app,
    call,
    async close() {
      await runtime.close()
      dir.cleanup()
    },
  }
}

export type TestRuntime = Awaited<ReturnType<typeof startTestRuntime>>
