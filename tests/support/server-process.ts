import { join } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = join(import.meta.dir, '..', '..')

/** A real openRuntime server process on a free port, for tests that kill and restart it. */
export interface ServerProcess {
  url: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  output: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/** `runAs`: a uid (and gid) to run the server as, through setpriv (the caller must be root). */
export async function spawnServer(
  env: Record<string, string>,
  options: { runAs?: number } = {},
): Promise<ServerProcess> {
  const as =
    options.runAs === undefined
      ? []
      : ['setpriv', `--reuid=${options.runAs}`, `--regid=${options.runAs}`, '--clear-groups']
  const proc = Bun.spawn([...as, process.execPath, join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let text = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    while (true) {
      const { value, done } = await reader.read()
      if (done) return
      text += decoder.decode(value, { stream: true })
    }
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const deadline = Date.now() + 20_000
  while (true) {
    const match = text.match(/listening on (http:\/\/[^\s]+)/)
    if (match?.[1]) {
      return {
        url: match[1],
        proc,
        output: () => text,
        async kill(signal = 'SIGKILL') {
          proc.kill(signal)
          await proc.exited
        },
      }
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`server did not start (exit ${proc.exitCode}):\n${text}`)
    }
    await Bun.sleep(20)
  }
}

/** Runs the server to completion expecting it to refuse to start; returns its output and exit code. */
export async function serverRefusal(env: Record<string, string>): Promise<{ code: number; output: string }> {
  const result = Bun.spawnSync([process.execPath, join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    timeout: 20_000,
  })
  return { code: result.exitCode ?? -1, output: result.stdout.toString() + result.stderr.toString() }
}

export async function api<T = any>(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T }
}
