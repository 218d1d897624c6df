import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { readSse } from '../support/sse'
import { tempDir, waitFor } from '../support/temp'
import { overHttp, SHELL_HOST } from './runner-client'

const dir = tempDir()
afterAll(() => dir.cleanup())

const stdout = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ kind: 'stdout', message: `line ${from + index}` }))

/**
 * An SSE client of the task's timeline that reconnects with Last-Event-ID whenever its stream
 * ends (the server was killed), as a browser does: every event it was sent, in arrival order.
 */
function followTimeline(server: () => ServerProcess, taskId: string) {
  const seen: { seq: number; message: string }[] = []
  let lastId = '0'
  let stopped = false
  const controller = { abort: new AbortController() }
  const loop = (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${server().url}/tasks/${taskId}/stream`, {
          headers: { ...server().auth, 'last-event-id': lastId },
          signal: controller.abort.signal,
        })
        for await (const frame of readSse(response)) {
          if (frame.event !== 'message') continue
          seen.push({ seq: frame.data.seq, message: frame.data.message })
          lastId = frame.id ?? lastId
        }
      } catch {
        // The server went away: connect again.
      }
      if (!stopped) await Bun.sleep(50)
    }
  })()
  return {
    seen,
    async stop() {
      stopped = true
      controller.abort.abort()
      await loop
    },
  }
}

describe('the runner protocol across a restart of the control plane (a real server process)', () => {
  test('events are stored once and in order (replays skipped, a gap refused), SSE sees each once across the restart, the outcome replay changes nothing, and the token is in no log or database file', async () => {
    const repo = makeRepo(join(dir.path, 'repo'))
    const dataDir = join(dir.path, 'data')
    const env = { OPENRUNTIME_DB: join(dataDir, 'db.sqlite3') }
    let server = await spawnServer(env)
    const outputs: (() => string)[] = [server.output]
    const runner = overHttp(() => server.url)
    let timeline: ReturnType<typeof followTimeline> | null = null
    try {
      const created = await api(server, 'POST', '/runner-hosts', { name: 'remote-1', labels: ['linux'] })
      expect(created.status).toBe(201)
      const token: string = created.body.token
      expect((await runner.call('POST', '/runner/v1/register', SHELL_HOST, token)).status).toBe(200)
      const task = await api(server, 'POST', '/tasks', {
        title: 'remote shell',
        prompt: '',
        runner: 'shell',
        command: 'echo hi',
        workspace: repo,
        runner_labels: ['linux'],
      })
      expect((await api(server, 'POST', `/tasks/${task.body.id}/start`)).status).toBe(200)
      const claim = await runner.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, token)
      expect(claim.status).toBe(200)
      expect(claim.body).toMatchObject({ task_id: task.body.id, runner: 'shell', command: 'echo hi' })
      expect(claim.body.base_commit).toMatch(/^[0-9a-f]{40}$/)
      const attempt: string = claim.body.attempt_id
      const events = `/runner/v1/attempts/${attempt}/events`
      timeline = followTimeline(() => server, task.body.id)

      expect((await runner.call('POST', events, { from: 1, events: stdout(1, 3) }, token)).body).toEqual({
        acked: 3,
      })
      expect((await runner.call('POST', events, { from: 1, events: stdout(1, 3) }, token)).body).toEqual({
        acked: 3,
      })
      const gap = await runner.call('POST', events, { from: 6, events: stdout(6, 1) }, token)
      expect(gap.status).toBe(409)
      expect(gap.body.error).toMatchObject({ code: 'event_gap', details: { expected: 4 } })
      expect(gap.body.error.message).toContain('4')
      expect((await runner.call('POST', events, { from: 3, events: stdout(3, 3) }, token)).body).toEqual({
        acked: 5,
      })
      await waitFor('the stream to show line 5', () =>
        timeline?.seen.some((event) => event.message === 'line 5'),
      )

      await server.kill('SIGKILL')
      server = await spawnServer(env)
      outputs.push(server.output)

      // The host's spool sends its last batch again, then the rest, then its outcome.
      expect((await runner.call('POST', events, { from: 4, events: stdout(4, 2) }, token)).body).toEqual({
        acked: 5,
      })
      expect((await runner.call('POST', events, { from: 6, events: stdout(6, 2) }, token)).body).toEqual({
        acked: 7,
      })
      const report = {
        exit_status: 'exit code 0',
        exit_code: 0,
        summary: 'Shell runner completed with exit code 0',
        has_changes: false,
      }
      const outcome = await runner.call('POST', `/runner/v1/attempts/${attempt}/outcome`, report, token)
      expect(outcome.status).toBe(200)
      expect(outcome.body).toMatchObject({ recorded: true, status: 'completed' })
      const eventsBefore = (await api(server, 'GET', `/tasks/${task.body.id}/events?limit=1000`)).body

      await server.kill('SIGKILL')
      server = await spawnServer(env)
      outputs.push(server.output)
      const replay = await runner.call('POST', `/runner/v1/attempts/${attempt}/outcome`, report, token)
      expect(replay.status).toBe(200)
      expect(replay.body).toMatchObject({ recorded: false, status: 'completed' })
      const other = await runner.call(
        'POST',
        `/runner/v1/attempts/${attempt}/outcome`,
        { ...report, exit_code: 1 },
        token,
      )
      expect(other.status).toBe(409)
      const stored = (await api(server, 'GET', `/tasks/${task.body.id}/events?limit=1000`)).body
      expect(stored).toEqual(eventsBefore)

      const view = (await api(server, 'GET', `/tasks/${task.body.id}?events=none`)).body
      expect(view.status).toBe('completed')
      expect(view.current_attempt).toMatchObject({
        runner_host_id: created.body.id,
        exit_status: 'exit code 0',
      })
      const lines = stored.filter((event: { kind: string }) => event.kind === 'stdout')
      expect(lines.map((event: { message: string }) => event.message)).toEqual(
        stdout(1, 7).map((event) => event.message),
      )
      expect(stored.map((event: { seq: number }) => event.seq)).toEqual(
        stored.map((_: unknown, index: number) => index + 1),
      )
      expect(stored.some((event: { message: string }) => event.message.includes('server restarted'))).toBe(
        false,
      )

      const last = stored.at(-1).seq
      await waitFor('the stream to reach the last event', () => timeline?.seen.at(-1)?.seq === last, 20_000)
      await timeline.stop()
      const seqs = timeline.seen.map((event) => event.seq)
      expect(seqs).toEqual(stored.map((event: { seq: number }) => event.seq))

      // A session of calls later: the token is in no output and no database file.
      for (const output of outputs) expect(output()).not.toContain(token)
      for (const file of readdirSync(dataDir)) {
        const bytes = readFileSync(join(dataDir, file))
        expect([file, bytes.includes(token)]).toEqual([file, false])
        expect([file, bytes.includes(token.slice(4))]).toEqual([file, false])
      }
    } finally {
      await timeline?.stop()
      await server.kill('SIGKILL')
    }
  })
})
