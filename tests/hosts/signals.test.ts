import { afterEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { readSse } from '../support/sse'
import { waitFor } from '../support/temp'
import { type Caller, claimedAttempt, inProcess } from './runner-client'

/**
 * What an agent on a runner host signals (its session, usage, needs-input, tool approvals) comes
 * in the attempt's sequence beside its events: each applied once, however often the host sends
 * it again, and nothing a host sends can touch another attempt's approvals or put shell syntax
 * into the command that resumes a session.
 */

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.close()
  rt = null
})

const AGENT_HOST = {
  runners: { 'claude-code': { version: '2.1.0 (Claude Code)' } },
  sandbox: true,
  slots: 2,
  labels: ['linux'],
}

async function claimed(name = 'agents') {
  rt = await startTestRuntime()
  const claim = await claimedAttempt(rt, name, AGENT_HOST, { title: 'remote agent', runner: 'claude-code' })
  return { rt, ...claim }
}

const send = (client: Caller, token: string, attemptId: string, from: number, events: unknown[]) =>
  client.call('POST', `/runner/v1/attempts/${attemptId}/events`, { from, events }, token)

describe('signals from a runner host', () => {
  test('session, usage, needs-input and an approval request are applied once, in order, also when a batch comes again or cut short', async () => {
    const { rt, client, token, taskId, attemptId } = await claimed()
    const approvalId = randomUUID()
    const items = [
      { kind: 'stdout', message: 'thinking' },
      { signal: { type: 'session', session_id: 'sess-1234' } },
      { signal: { type: 'charge', delta: { input_tokens: 10, output_tokens: 5, tool_calls: 1 } } },
      {
        signal: {
          type: 'approval-request',
          approval_id: approvalId,
          request_id: 'req-1',
          tool: 'Write',
          input: { file_path: 'a.txt', content: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789' },
        },
      },
      {
        signal: {
          type: 'needs-input',
          reason: 'Approval needed: Write a.txt',
          metadata: { approval_id: approvalId },
        },
      },
      { kind: 'stdout', message: 'waiting' },
    ]
    // A batch cut short, then the whole of it again: the first three are skipped the second time.
    expect((await send(client, token, attemptId, 1, items.slice(0, 3))).body).toEqual({ acked: 3 })
    expect((await send(client, token, attemptId, 1, items)).body).toEqual({ acked: 6 })
    expect((await send(client, token, attemptId, 1, items)).body).toEqual({ acked: 6 })

    const view = (await rt.call('GET', `/tasks/${taskId}?events=all`)).body
    expect(view.state).toBe('needs-input.prompt')
    expect(view.runner_session_id).toBe('sess-1234')
    expect(view.current_attempt.runner_session_id).toBe('sess-1234')
    expect(view.cost_ledger).toMatchObject({ input_tokens: 10, output_tokens: 5, tool_calls: 1 })
    expect(view.current_attempt.runner_host).toBe('agents')
    const of = (category: string) => view.events.filter((event: any) => event.metadata?.category === category)
    expect(of('runner-session')).toHaveLength(1)
    expect(of('needs-input')).toHaveLength(1)
    expect(
      view.events.filter((event: any) => event.kind === 'stdout').map((event: any) => event.message),
    ).toEqual(['thinking', 'waiting'])
    const approvals = (await rt.call('GET', `/tasks/${taskId}/approvals`)).body
    expect(approvals).toHaveLength(1)
    expect(approvals[0]).toMatchObject({
      id: approvalId,
      status: 'pending',
      tool: 'Write',
      attempt_id: attemptId,
    })
    // Stored redacted, whatever the host sent.
    expect(JSON.stringify(approvals[0].input)).not.toContain('abcdefghijklmnopqrstuvwxyz')

    // The task page shows it as the card a local run's approval gets, answering it at the same route.
    const page = await (await rt.handle(`/tasks/${taskId}/view`)).text()
    expect(page).toContain(`hx-post="/ui/tasks/${taskId}/approvals/${approvalId}"`)
    expect(page).toContain('approval-allow')

    // The answer is recorded now and goes to the host as one command naming the host's approval id.
    const answered = await rt.call('POST', `/tasks/${taskId}/approvals/${approvalId}`, {
      allow: true,
      message: 'ok',
    })
    expect(answered.body).toMatchObject({ status: 'allowed', message: 'ok' })
    const response = await rt.app.handle(
      new Request('http://localhost/runner/v1/control', { headers: { authorization: `Bearer ${token}` } }),
    )
    for await (const frame of readSse(response)) {
      expect(frame.data).toMatchObject({
        type: 'approval',
        attempt_id: attemptId,
        payload: { approval_id: approvalId, request_id: 'req-1', allow: true, message: 'ok' },
      })
      break
    }

    // The host applied it and says so, then the agent runs again: applied once, the answer kept.
    const after = [
      {
        signal: {
          type: 'approval-closed',
          approval_id: approvalId,
          status: 'allowed',
          by: 'local user',
          message: 'ok',
        },
      },
      { kind: 'input', message: 'Tool use allowed: Write (ok)' },
      { signal: { type: 'resume', why: 'tool use allowed' } },
    ]
    expect((await send(client, token, attemptId, 7, after)).body).toEqual({ acked: 9 })
    expect((await send(client, token, attemptId, 7, after)).body).toEqual({ acked: 9 })
    const running = (await rt.call('GET', `/tasks/${taskId}?events=all`)).body
    expect(running.status).toBe('running')
    expect(
      running.events.filter((event: any) => event.metadata?.category === 'attempt-running'),
    ).toHaveLength(1)
    expect((await rt.call('GET', `/tasks/${taskId}/approvals`)).body[0]).toMatchObject({
      status: 'allowed',
      decided_by: 'local user',
      message: 'ok',
    })
  })

  test('what a host may not do: shell syntax as a session id, an unknown signal, another attempt’s approval', async () => {
    const { rt, client, token, taskId, attemptId } = await claimed()
    const bad = await send(client, token, attemptId, 1, [
      { signal: { type: 'session', session_id: 'x; rm -rf ~' } },
    ])
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('events.0.signal')
    const unknown = await send(client, token, attemptId, 1, [{ signal: { type: 'merge-now' } }])
    expect(unknown.status).toBe(400)
    const extra = await send(client, token, attemptId, 1, [{ signal: { type: 'resume', why: 'x' }, seq: 9 }])
    expect(extra.status).toBe(400)
    expect((await rt.call('GET', `/tasks/${taskId}`)).body.runner_session_id).toBeNull()

    // A second task on a second host, with an approval of its own.
    const other = await rt.call('POST', '/runner-hosts', { name: 'other' })
    const otherToken = other.body.token as string
    await client.call('POST', '/runner/v1/register', AGENT_HOST, otherToken)
    const repo = makeRepo(join(rt.dir, 'repo2'))
    const task = await rt.call('POST', '/tasks', {
      title: 'other',
      prompt: 'x',
      runner: 'claude-code',
      workspace: repo,
      runner_labels: ['linux'],
    })
    await rt.call('POST', `/tasks/${task.body.id}/start`)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, otherToken)
    const theirs = randomUUID()
    const request = (id: string) => ({
      signal: { type: 'approval-request', approval_id: id, request_id: 'r', tool: 'Bash', input: null },
    })
    expect((await send(client, otherToken, claim.body.attempt_id, 1, [request(theirs)])).status).toBe(200)

    // Naming their approval: a request under its id is refused, a close of it changes nothing.
    const taken = await send(client, token, attemptId, 1, [request(theirs)])
    expect(taken.status).toBe(409)
    expect(taken.body.error.code).toBe('approval_id_taken')
    const closed = await send(client, token, attemptId, 1, [
      { signal: { type: 'approval-closed', approval_id: theirs, status: 'denied', by: 'me', message: null } },
    ])
    expect(closed.status).toBe(200)
    expect((await rt.call('GET', `/tasks/${task.body.id}/approvals`)).body[0]).toMatchObject({
      id: theirs,
      status: 'pending',
    })
    expect((await rt.call('GET', `/tasks/${taskId}/approvals`)).body).toEqual([])
  })

  test('an approval the host denied on its timeout before the answer reached it is recorded as the agent was told', async () => {
    const { rt, client, token, taskId, attemptId } = await claimed()
    const id = randomUUID()
    await send(client, token, attemptId, 1, [
      { signal: { type: 'approval-request', approval_id: id, request_id: 'r', tool: 'Bash', input: null } },
    ])
    expect((await rt.call('POST', `/tasks/${taskId}/approvals/${id}`, { allow: true })).status).toBe(200)
    await send(client, token, attemptId, 2, [
      {
        signal: {
          type: 'approval-closed',
          approval_id: id,
          status: 'expired',
          by: 'openRuntime',
          message: 'No answer within 1 second; denied',
        },
      },
    ])
    expect((await rt.call('GET', `/tasks/${taskId}/approvals`)).body[0]).toMatchObject({
      status: 'expired',
      decided_by: 'openRuntime',
      message: 'No answer within 1 second; denied',
    })
  })

  test('a host that is lost leaves no approval pending', async () => {
    rt = await startTestRuntime({ OPENRUNTIME_RUNNER_LEASE_MS: '1000' })
    const runtime = rt
    const client = inProcess(runtime)
    const repo = makeRepo(join(runtime.dir, 'repo'))
    const host = await runtime.call('POST', '/runner-hosts', { name: 'vanishing' })
    const token = host.body.token as string
    await client.call('POST', '/runner/v1/register', AGENT_HOST, token)
    const task = await runtime.call('POST', '/tasks', {
      title: 't',
      prompt: 'x',
      runner: 'claude-code',
      workspace: repo,
      runner_labels: ['linux'],
    })
    await runtime.call('POST', `/tasks/${task.body.id}/start`)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, token)
    expect(claim.status).toBe(200)
    const id = randomUUID()
    await send(client, token, claim.body.attempt_id, 1, [
      { signal: { type: 'approval-request', approval_id: id, request_id: 'r', tool: 'Bash', input: null } },
    ])
    const failed = await waitFor('the task to fail', async () => {
      const view = (await runtime.call('GET', `/tasks/${task.body.id}`)).body
      return view.status === 'failed' ? view : null
    })
    expect(failed.current_attempt.summary).toBe('runner host vanishing lost')
    expect((await runtime.call('GET', `/tasks/${task.body.id}/approvals`)).body[0]).toMatchObject({
      status: 'expired',
      message: 'runner host vanishing lost',
    })
  })
})
