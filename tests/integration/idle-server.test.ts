import { expect, test } from 'bun:test'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createShellTask } from '../support/runtime'
import { api, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

/**
 * How many times a process's main thread (its event loop; its thread id is the pid) has gone to
 * sleep waiting and been woken: each timer that fires wakes it once.
 */
const loopWakeups = (pid: number) =>
  Number(
    /voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'))?.[1],
  )

/** The span the loop's wake-ups are counted over (a window of observation, not a wait for an event). */
const WINDOW_MS = 2000
/** What timers of its own may wake an idle loop per second (a lease sweep, the queue's own checks). */
const IDLE_WAKEUPS_PER_SECOND = 25

test('an idle server sleeps: after a run its event loop is woken by a few timers, not every few milliseconds', async () => {
  const dir = tempDir()
  const server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3') })
  try {
    // A run first, so whatever it set going (its job on the queue, the event log's batches) must wind down.
    const workspace = join(dir.path, 'plain')
    mkdirSync(workspace)
    const call = (method: string, path: string, body?: unknown) => api(server, method, path, body)
    const id = await createShellTask({ call }, workspace, 'echo hi', { policy: { allow_in_place: true } })
    expect((await call('POST', `/tasks/${id}/start`)).status).toBe(200)
    await waitFor('the run to end', async () => {
      const { body } = await call('GET', `/tasks/${id}?events=none`)
      return body.status !== 'queued' && body.status !== 'running'
    })
    const before = loopWakeups(server.proc.pid)
    await Bun.sleep(WINDOW_MS)
    const woken = loopWakeups(server.proc.pid) - before
    // bunqueue's write buffer flushed on a 10 ms interval whether or not it held a job: 200 in the window.
    expect(woken).toBeLessThan((WINDOW_MS / 1000) * IDLE_WAKEUPS_PER_SECOND)
  } finally {
    await server.kill('SIGTERM')
    dir.cleanup()
  }
})
