import { api, type ServerProcess } from '../../tests/support/server-process'
import { readSse } from '../../tests/support/sse'

/**
 * Milliseconds from POST start to the task's first stdout event arriving on its SSE stream (the
 * stream is open before the clock starts). The task is then left to finish before anything else
 * is timed: its wrap-up (a diff capture, a snapshot push) would otherwise overlap the next dispatch
 * or a baseline and bill one to the other.
 */
export async function timeToFirstStdout(
  server: ServerProcess,
  task: Record<string, unknown>,
): Promise<number> {
  const created = await api(server, 'POST', '/tasks', { prompt: '', runner: 'shell', ...task })
  if (created.status !== 200) throw new Error(`task refused: ${JSON.stringify(created.body)}`)
  const id = created.body.id
  const abort = new AbortController()
  const stream = await fetch(`${server.url}/tasks/${id}/stream`, {
    headers: server.auth,
    signal: abort.signal,
  })
  const started = performance.now()
  const start = await api(server, 'POST', `/tasks/${id}/start`)
  if (start.status !== 200) throw new Error(`start refused: ${JSON.stringify(start.body)}`)
  for await (const frame of readSse(stream)) {
    if (frame.event === 'message' && frame.data.kind === 'stdout') break
  }
  const elapsed = performance.now() - started
  abort.abort()
  await settled(server, id)
  return elapsed
}

/** Waits until the task is neither queued nor running; returns its status. */
export async function settled(server: ServerProcess, id: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const { body } = await api(server, 'GET', `/tasks/${id}?events=none`)
    if (body.status !== 'queued' && body.status !== 'running') return body.status
    await Bun.sleep(5)
  }
  throw new Error(`task ${id} did not finish within ${timeoutMs / 1000} s`)
}
