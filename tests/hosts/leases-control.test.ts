import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { readSse, type SseFrame } from '../support/sse'
import { waitFor } from '../support/temp'
import { type Caller, inProcess, SHELL_HOST } from './runner-client'

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.close()
  rt = null
})

async function setUp(env: Record<string, string> = {}) {
  rt = await startTestRuntime(env)
  const repo = makeRepo(join(rt.dir, 'repo'))
  return { rt, client: inProcess(rt), repo }
}

async function host(rt: TestRuntime, client: Caller, name: string, report: object = SHELL_HOST) {
  const created = await rt.call('POST', '/runner-hosts', { name })
  expect((await client.call('POST', '/runner/v1/register', report, created.body.token)).status).toBe(200)
  return { id: created.body.id as string, token: created.body.token as string }
}

async function startRemote(rt: TestRuntime, repo: string, extra: object = {}) {
  const task = await rt.call('POST', '/tasks', {
    title: 'remote',
    prompt: '',
    runner: 'shell',
    command: 'sleep 100',
    workspace: repo,
    runner_labels: ['linux'],
    ...extra,
  })
  expect(task.status).toBe(200)
  const started = await rt.call('POST', `/tasks/${task.body.id}/start`)
  return { id: task.body.id as string, started }
}

/**
 * The lease sweeper's check as it would run at `atMs`. The leases here are the default 30 s, which
 * no test outlives, so the wall clock never ends one: a test moves the sweeper's clock instead,
 * and what it asserts does not depend on how fast a loaded machine answers.
 */
const sweepAt = (rt: TestRuntime, atMs: number) => rt.runtime.runnerHosts.registry.sweep(atMs)
const leaseEnd = (rt: TestRuntime, hostId: string) =>
  rt.runtime.store.runnerHosts.get(hostId)?.lease_expires_at as number

describe('leases', () => {
  test('a host past its lease is lost: its attempt fails with the reason, nothing is re-run, and when it comes back it is told to stop', async () => {
    const { rt, client, repo } = await setUp()
    const a = await host(rt, client, 'flaky')
    const task = await startRemote(rt, repo)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.id, run: 1 }, a.token)
    expect(claim.status).toBe(200)
    const end = leaseEnd(rt, a.id)
    expect(sweepAt(rt, end)).toEqual([])
    // No heartbeat: the lease runs out.
    expect(sweepAt(rt, end + 1)).toEqual(['flaky'])
    const failed = (await rt.call('GET', `/tasks/${task.id}?events=all`)).body
    expect(failed.status).toBe('failed')
    expect(failed.current_attempt.summary).toBe('runner host flaky lost')
    expect(failed.attempts).toHaveLength(1)
    expect((await rt.call('GET', `/runner-hosts/${a.id}`)).body.status).toBe('lost')
    const back = await client.call(
      'POST',
      '/runner/v1/heartbeat',
      { slots_in_use: 1, attempts: [claim.body.attempt_id] },
      a.token,
    )
    expect(back.body.stop).toEqual([claim.body.attempt_id])
    const late = await client.call(
      'POST',
      `/runner/v1/attempts/${claim.body.attempt_id}/outcome`,
      {
        exit_status: 'exit code 0',
        exit_code: 0,
        summary: 'done',
        has_changes: false,
      },
      a.token,
    )
    expect(late.status).toBe(409)
    expect(late.body.error.message).toContain('runner host flaky lost')
    const view = (await rt.call('GET', `/tasks/${task.id}?events=none`)).body
    expect(view).toMatchObject({ status: 'failed', attempts: [{ summary: 'runner host flaky lost' }] })
  })

  test('a host that heartbeats keeps its attempts; one it holds that is not its own is to be stopped', async () => {
    const { rt, client, repo } = await setUp()
    const a = await host(rt, client, 'steady')
    const b = await host(rt, client, 'other')
    const task = await startRemote(rt, repo)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.id, run: 1 }, a.token)
    const attempt = claim.body.attempt_id
    expect(claim.status).toBe(200)
    // Each heartbeat carries the lease past the end of the one before: a sweep just after that
    // end, which would have lost a host that did not heartbeat, keeps it.
    for (let beat = 0; beat < 3; beat++) {
      const ends = [leaseEnd(rt, a.id), leaseEnd(rt, b.id)]
      const latest = Math.max(...ends)
      // A new lease ends later than the old only once the clock has moved on from when it was given.
      await waitFor('the clock to move on', () => Date.now() > latest - rt.runtime.config.runnerLeaseMs)
      const answer = await client.call(
        'POST',
        '/runner/v1/heartbeat',
        { slots_in_use: 1, attempts: [attempt] },
        a.token,
      )
      expect(answer.body.stop).toEqual([])
      await client.call('POST', '/runner/v1/heartbeat', { slots_in_use: 0, attempts: [] }, b.token)
      expect(leaseEnd(rt, a.id)).toBeGreaterThan(latest)
      expect(sweepAt(rt, latest + 1)).toEqual([])
    }
    expect((await rt.call('GET', `/tasks/${task.id}?events=none`)).body.status).toBe('running')
    expect((await rt.call('GET', `/runner-hosts/${a.id}`)).body.status).toBe('online')
    const wrong = await client.call(
      'POST',
      '/runner/v1/heartbeat',
      { slots_in_use: 1, attempts: [attempt] },
      b.token,
    )
    expect(wrong.body.stop).toEqual([attempt])
    // Another host's attempt does not exist for it.
    const events = await client.call(
      'POST',
      `/runner/v1/attempts/${attempt}/events`,
      { from: 1, events: [{ kind: 'stdout', message: 'x' }] },
      b.token,
    )
    expect(events.status).toBe(404)
    const outcome = await client.call(
      'POST',
      `/runner/v1/attempts/${attempt}/outcome`,
      { exit_status: 'exit code 0', exit_code: 0, summary: 'x', has_changes: false },
      b.token,
    )
    expect(outcome.status).toBe(404)
    const again = await client.call('POST', '/runner/v1/claim', { task_id: task.id, run: 1 }, b.token)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('not_claimable')
  })

  test('a host whose heartbeat came late (lost) still gets the run it claims, and is online again with a new lease', async () => {
    const { rt, client, repo } = await setUp()
    const a = await host(rt, client, 'late')
    const task = await startRemote(rt, repo)
    const end = leaseEnd(rt, a.id)
    expect(sweepAt(rt, end + 1)).toEqual(['late'])
    await waitFor('the clock to move on', () => Date.now() > end - rt.runtime.config.runnerLeaseMs)
    // It took the job off the broker before its next heartbeat: a refusal would lose the run.
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.id, run: 1 }, a.token)
    expect(claim.status).toBe(200)
    expect((await rt.call('GET', `/runner-hosts/${a.id}`)).body).toMatchObject({
      status: 'online',
      running_attempts: [{ id: claim.body.attempt_id }],
    })
    expect(leaseEnd(rt, a.id)).toBeGreaterThan(end)
    expect(sweepAt(rt, end + 1)).toEqual([])
    const view = (await rt.call('GET', `/tasks/${task.id}?events=none`)).body
    expect(view).toMatchObject({ status: 'running', attempts: [{ id: claim.body.attempt_id }] })
  })
})

/** Reads command frames from the host's control stream until `count` arrived, then disconnects. */
async function commands(
  rt: TestRuntime,
  token: string,
  count: number,
  lastEventId?: string,
): Promise<SseFrame[]> {
  const response = await rt.app.handle(
    new Request('http://localhost/runner/v1/control', {
      headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    }),
  )
  expect(response.status).toBe(200)
  const frames: SseFrame[] = []
  for await (const frame of readSse(response)) {
    frames.push(frame)
    if (frames.length === count) break
  }
  return frames
}

describe('control commands', () => {
  test('stop and reply of a remote attempt reach its host as commands; unacknowledged ones come again on reconnect, acknowledged ones never', async () => {
    const { rt, client, repo } = await setUp()
    const a = await host(rt, client, 'ctl')
    const task = await startRemote(rt, repo)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.id, run: 1 }, a.token)
    const attempt = claim.body.attempt_id
    const reply = await rt.call('POST', `/tasks/${task.id}/reply`, { message: 'yes' })
    expect(reply.status).toBe(200)
    const stop = await rt.call('POST', `/tasks/${task.id}/stop`)
    expect(stop.status).toBe(200)
    expect(stop.body.status).toBe('running')

    const first = await commands(rt, a.token, 2)
    expect(first.map((frame) => [frame.data.type, frame.data.attempt_id])).toEqual([
      ['reply', attempt],
      ['stop', attempt],
    ])
    expect(first[0]?.data.payload).toEqual({ message: 'yes' })
    expect(first.map((frame) => frame.id)).toEqual(first.map((frame) => String(frame.data.id)))
    const [replyCommand, stopCommand] = first.map((frame) => frame.data.id as number)
    expect(
      (await client.call('POST', `/runner/v1/control/${replyCommand}/ack`, undefined, a.token)).status,
    ).toBe(200)
    // Acknowledging twice is harmless; another host cannot acknowledge it.
    expect(
      (await client.call('POST', `/runner/v1/control/${replyCommand}/ack`, undefined, a.token)).status,
    ).toBe(200)
    const b = await host(rt, client, 'nosy')
    expect(
      (await client.call('POST', `/runner/v1/control/${stopCommand}/ack`, undefined, b.token)).status,
    ).toBe(404)

    // Reconnecting (past both ids): the stop, never acknowledged, comes again; the reply does not.
    const second = await commands(rt, a.token, 1, String(stopCommand))
    expect(second.map((frame) => frame.data.id)).toEqual([stopCommand])
    expect(
      (await client.call('POST', `/runner/v1/control/${stopCommand}/ack`, undefined, a.token)).status,
    ).toBe(200)

    // A connected host gets a new command, and only that one.
    const live = commands(rt, a.token, 1)
    await rt.call('POST', `/tasks/${task.id}/reply`, { message: 'again' })
    const [fresh] = await live
    expect(fresh?.data).toMatchObject({ type: 'reply', payload: { message: 'again' } })

    // The host stops the run and reports it.
    const ended = await client.call(
      'POST',
      `/runner/v1/attempts/${attempt}/outcome`,
      {
        exit_status: 'signal SIGTERM',
        exit_code: null,
        summary: 'Stopped by the user',
        has_changes: false,
        stopped: true,
      },
      a.token,
    )
    expect(ended.body).toMatchObject({ recorded: true, status: 'stopped' })
    expect((await rt.call('GET', `/tasks/${task.id}?events=none`)).body.status).toBe('stopped')
  })
})

describe('placement', () => {
  test('a task no registered host could serve is refused at start naming why; one no live host serves waits saying why; a task without labels runs here', async () => {
    const { rt, client, repo } = await setUp({ OPENRUNTIME_RUNNER_LEASE_MS: '200' })
    const none = await startRemote(rt, repo)
    expect(none.started.status).toBe(409)
    expect(none.started.body.error).toMatchObject({ code: 'no_runner_host' })
    expect(none.started.body.error.message).toContain('no runner host is registered')
    expect((await rt.call('GET', `/tasks/${none.id}?events=none`)).body.state).toBe('queued.draft')

    await host(rt, client, 'cpu-only', { ...SHELL_HOST, labels: ['linux'] })
    const gpu = await startRemote(rt, repo, { runner_labels: ['linux', 'gpu'] })
    expect(gpu.started.status).toBe(409)
    expect(gpu.started.body.error.message).toContain('cpu-only: it lacks the label(s) gpu')
    const codex = await rt.call('POST', '/tasks', {
      title: 'codex remote',
      prompt: 'do it',
      runner: 'codex',
      workspace: repo,
      runner_labels: ['linux'],
    })
    const codexStart = await rt.call('POST', `/tasks/${codex.body.id}/start`)
    expect(codexStart.status).toBe(409)
    expect(codexStart.body.error.message).toContain('does not run Codex')

    // The host stops heartbeating: it is registered but not live, so a task it could run waits.
    await waitFor(
      'the host to be lost',
      async () => (await rt.call('GET', '/runner-hosts')).body[0].status === 'lost',
    )
    const waiting = await startRemote(rt, repo)
    expect(waiting.started.status).toBe(200)
    const why = await waitFor('the task to say why it waits', async () => {
      const view = (await rt.call('GET', `/tasks/${waiting.id}?events=all`)).body
      expect(view.state).toBe('queued.waiting')
      return view.events.find(
        (event: { metadata: { category?: string } }) => event.metadata?.category === 'waiting-for-host',
      )
    })
    expect(why.message).toBe('Waiting for a runner host: no runner host is live')

    const local = await rt.call('POST', '/tasks', {
      title: 'here',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
    })
    expect(local.body.runner_labels).toEqual([])
    expect((await rt.call('POST', `/tasks/${local.body.id}/start`)).status).toBe(200)
    const done = await waitFor('the local task to finish', async () => {
      const task = (await rt.call('GET', `/tasks/${local.body.id}?events=none`)).body
      return task.status === 'completed' ? task : null
    })
    expect(done.current_attempt.runner_host_id).toBeNull()
    const bad = await rt.call('POST', '/tasks', {
      title: 'x',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      runner_labels: [''],
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('runner_labels')
  })
})
