import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { collectOutput } from './processes'
import { waitFor } from './temp'

const ROOT = join(import.meta.dir, '..', '..')

/** A real openRuntime server process on a free port, for tests that kill and restart it. */
export interface ServerProcess {
  url: string
  /** The sign-in link the server printed (null with OPENRUNTIME_AUTH=none). */
  signInUrl: string | null
  /** The token from that link, which every request must carry. */
  token: string | null
  /** `Authorization: Bearer <token>`, for requests made with fetch. */
  auth: Record<string, string>
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  output: () => string
  kill(signal?: NodeJS.Signals): Promise<void>
}

/**
 * `runAs`: a uid (and gid) to run the server as, through setpriv (the caller must be root);
 * `entry`: a script to run instead of src/server.ts that prints the same start-up lines.
 */
export async function spawnServer(
  env: Record<string, string>,
  options: { runAs?: number; entry?: string } = {},
): Promise<ServerProcess> {
  const as =
    options.runAs === undefined
      ? []
      : ['setpriv', `--reuid=${options.runAs}`, `--regid=${options.runAs}`, '--clear-groups']
  const proc = Bun.spawn([...as, process.execPath, options.entry ?? join(ROOT, 'src', 'server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: '0', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const output = collectOutput(proc)
  const deadline = Date.now() + 20_000
  while (true) {
    const match = output().match(/listening on (http:\/\/[^\s]+)[^\n]*\n(?:Open (\S+) to sign in|Access: )/)
    if (match?.[1]) {
      const signInUrl = match[2] ?? null
      const token = signInUrl === null ? null : new URL(signInUrl).searchParams.get('token')
      return {
        url: match[1],
        signInUrl,
        token,
        auth: token === null ? {} : { authorization: `Bearer ${token}` },
        proc,
        output,
        async kill(signal = 'SIGKILL') {
          proc.kill(signal)
          await proc.exited
        },
      }
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`server did not start (exit ${proc.exitCode}):\n${output()}`)
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

/** One JSON request to a server process, with its token. */
export async function api<T = any>(
  server: Pick<ServerProcess, 'url' | 'auth'>,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...server.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T }
}

/**
 * Creates a shell task in `workspace`, starts it and waits until it is `status` (by default:
 * ready for review); returns its id.
 */
export async function runShell(
  server: Pick<ServerProcess, 'url' | 'auth'>,
  workspace: string,
  command: string,
  status = 'ready-for-review',
): Promise<string> {
  const created = await api(server, 'POST', '/tasks', {
    title: command.slice(0, 60),
    prompt: '',
    runner: 'shell',
    command,
    workspace,
  })
  if (created.status !== 200) throw new Error(`task not created: ${JSON.stringify(created.body)}`)
  const id: string = created.body.id
  await api(server, 'POST', `/tasks/${id}/start`)
  await waitFor(
    `task ${id} to be ${status}`,
    async () => (await api(server, 'GET', `/tasks/${id}?events=none`)).body.status === status,
    60_000,
  )
  return id
}
