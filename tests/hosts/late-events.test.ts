import { afterEach, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'
import { claimedAttempt, SHELL_HOST } from './runner-client'

/**
 * What a host sends for an attempt the control plane failed without its word (the host was lost)
 * is what the run did meanwhile: kept after the failure, marked late, once, in the host's order,
 * and changing nothing of the task but what it spent; its report closes the attempt to anything more.
 */

let rt: TestRuntime | null = null
afterEach(async () => {
  await rt?.close()
  rt = null
})

describe('late events of a lost runner host', () => {
  test('stored once, in order, late, after the failure; their signals change nothing but the cost; the report ends them', async () => {
    rt = await startTestRuntime({ OPENRUNTIME_RUNNER_LEASE_MS: '1000' })
    const runtime = rt
    const { client, token, taskId, attemptId } = await claimedAttempt(runtime, 'island', SHELL_HOST, {
      runner: 'shell',
      command: 'true',
    })
    const send = (from: number, events: unknown[]) =>
      client.call('POST', `/runner/v1/attempts/${attemptId}/events`, { from, events }, token)
    // The host's own word that an event is late counts for nothing.
    expect((await send(1, [{ kind: 'stdout', message: 'on time', metadata: { late: true } }])).status).toBe(
      200,
    )
    await waitFor('the task to fail', async () => {
      const view = (await runtime.call('GET', `/tasks/${taskId}`)).body
      return view.status === 'failed' ? view : null
    })

    const items = [
      { kind: 'stdout', message: 'cut-1' },
      { signal: { type: 'needs-input', reason: 'a question', metadata: {} } },
      {
        signal: {
          type: 'approval-request',
          approval_id: randomUUID(),
          request_id: 'r',
          tool: 'Bash',
          input: null,
        },
      },
      { kind: 'stdout', message: 'cut-2' },
      { signal: { type: 'charge', delta: { output_tokens: 7, tool_calls: 1 } } },
      { kind: 'stderr', message: 'cut-3' },
    ]
    expect((await send(2, items.slice(0, 2))).body).toEqual({ acked: 3 })
    // Ending on a signal that is ignored, the batch still moved the seq on: the rest follows it.
    expect((await send(4, items.slice(2))).body).toEqual({ acked: 7 })
    // Sent again: nothing twice, the charge included.
    expect((await send(2, items)).body).toEqual({ acked: 7 })

    const events = (await runtime.call('GET', `/tasks/${taskId}/events`)).body as {
      seq: number
      kind: string
      message: string
      metadata: Record<string, unknown> | null
    }[]
    const failure = events.find((event) => event.metadata?.reason === 'runner-host-lost')
    const output = events.filter((event) => event.kind === 'stdout' || event.kind === 'stderr')
    expect(output.map((event) => [event.message, event.metadata?.late ?? false])).toEqual([
      ['on time', false],
      ['cut-1', true],
      ['cut-2', true],
      ['cut-3', true],
    ])
    for (const event of output.slice(1)) expect(event.seq).toBeGreaterThan(failure?.seq ?? Infinity)
    const task = (await runtime.call('GET', `/tasks/${taskId}`)).body
    expect(task.status).toBe('failed')
    // What the run spent while cut off was spent: it counts, once.
    expect([task.cost_ledger.output_tokens, task.cost_ledger.tool_calls]).toEqual([7, 1])
    expect((await runtime.call('GET', `/tasks/${taskId}/approvals`)).body).toEqual([])

    const outcome = await client.call(
      'POST',
      `/runner/v1/attempts/${attemptId}/outcome`,
      { exit_status: 'signal SIGTERM', exit_code: 1, summary: 'ended on its return', has_changes: false },
      token,
    )
    expect(outcome.status).toBe(409)
    const after = await send(8, [{ kind: 'stdout', message: 'after the report' }])
    expect(after.status).toBe(409)
    expect(after.body.error.code).toBe('attempt_ended')
    const timeline = (await runtime.call('GET', `/tasks/${taskId}/events`)).body as {
      message: string
      metadata: Record<string, unknown> | null
    }[]
    expect(timeline.filter((event) => event.metadata?.category === 'late-report')).toHaveLength(1)
    expect(timeline.some((event) => event.message === 'after the report')).toBe(false)
    expect((await runtime.call('GET', `/tasks/${taskId}`)).body.status).toBe('failed')
  })
})
