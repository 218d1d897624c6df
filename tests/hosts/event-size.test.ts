import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { MAX_LINE_CHARS, RUNNER_EVENTS_BODY_BYTES, type RunnerItem } from '../../src/domain'
import { listenBodyLimit, MAX_BODY_BYTES } from '../../src/routes/body-limit'
import { ControlPlane } from '../../src/runner-host/control-plane'
import { AttemptSpool } from '../../src/runner-host/spool'
import { SpoolSender } from '../../src/runner-host/spool-sender'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { claimedAttempt, overHttp, SHELL_HOST } from './runner-client'

/**
 * An event as large as a local run stores travels from a runner host too: the events route takes
 * it (every other route keeps the API's limit), the sender gives it a request of its own, and an
 * item the control plane refuses for good is replaced by a note of the refusal instead of holding
 * back every later event and the outcome.
 */

let rt: TestRuntime | null = null
let listening: ReturnType<typeof Bun.serve> | null = null
let sender: SpoolSender | null = null
afterEach(async () => {
  sender?.close()
  await listening?.stop(true)
  await rt?.close()
  rt = sender = listening = null
})

/** The control plane listening as its server does (the same body limits), and a claimed shell attempt. */
async function controlPlane() {
  rt = await startTestRuntime()
  const runtime = rt
  listening = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    maxRequestBodySize: listenBodyLimit(runtime.runtime.config.gitMaxPushBytes),
    fetch: (request) => runtime.app.handle(request),
  })
  const url = `http://127.0.0.1:${listening.port}`
  const claim = await claimedAttempt(runtime, 'sizes', SHELL_HOST, { runner: 'shell', command: 'true' })
  return { ...claim, runtime, url, http: overHttp(() => url) }
}

/** The control plane's client of a host, noting how many items each events request held and its size. */
class NotedControlPlane extends ControlPlane {
  readonly batches: { items: number; bytes: number; status: number }[] = []

  override async call<T>(method: string, path: string, body?: unknown, timeoutMs?: number) {
    const answer = await super.call<T>(method, path, body, timeoutMs)
    if (path.endsWith('/events'))
      this.batches.push({
        items: (body as { events: unknown[] }).events.length,
        bytes: Buffer.byteLength(JSON.stringify(body)),
        status: answer.status,
      })
    return answer
  }
}

const line = (message: string): RunnerItem => ({ kind: 'stdout', message, metadata: null })
/** A tool call as Claude Code's Write makes it: its whole input in the metadata. */
const toolCall = (content: string): RunnerItem => ({
  kind: 'stdout',
  message: 'Write big.txt',
  metadata: { category: 'agent', type: 'tool_call', tool: 'Write', input: { file_path: 'big.txt', content } },
})

/** Spools `items` and an outcome, and delivers them all; answers what the host logged. */
async function deliver(
  { runtime, url, token, attemptId }: { runtime: TestRuntime; url: string; token: string; attemptId: string },
  items: RunnerItem[],
) {
  const spool = new AttemptSpool(join(runtime.dir, 'spool'), attemptId)
  for (const item of items) spool.append(item)
  spool.setOutcome({ exit_status: 'exit code 0', exit_code: 0, summary: 'done', has_changes: false })
  const control = new NotedControlPlane(url, token)
  const logged: string[] = []
  sender = new SpoolSender(control, (error) => logged.push(error.message))
  sender.add(spool)
  await sender.whenDelivered(attemptId)
  return { batches: control.batches, logged }
}

async function storedItems(runtime: TestRuntime, taskId: string) {
  const task = await runtime.call('GET', `/tasks/${taskId}?events=all`)
  return (
    task.body.events as { kind: string; message: string; metadata: Record<string, any> | null }[]
  ).filter((event) => typeof event.metadata?.runner_seq === 'number')
}

describe('large events from a runner host', () => {
  test('a body over the API limit is taken by the runner events route only, up to its own limit', async () => {
    const { runtime, http, token, attemptId } = await controlPlane()
    const events = [line('x'.repeat(MAX_BODY_BYTES))]
    const accepted = await http.call(
      'POST',
      `/runner/v1/attempts/${attemptId}/events`,
      { from: 1, events },
      token,
    )
    expect(accepted).toEqual({ status: 200, body: { acked: 1 } })
    // The same body anywhere else is over the API's limit.
    const elsewhere = await http.call(
      'POST',
      '/tasks',
      { title: 'x'.repeat(MAX_BODY_BYTES) },
      runtime.token ?? undefined,
    )
    expect(elsewhere.status).toBe(413)
    expect(elsewhere.body.error.code).toBe('body_too_large')
    const huge = [line('x'.repeat(RUNNER_EVENTS_BODY_BYTES))]
    const over = await http.call(
      'POST',
      `/runner/v1/attempts/${attemptId}/events`,
      { from: 2, events: huge },
      token,
    )
    expect(over.status).toBe(413)
    expect(over.body.error.message).toContain(`the limit is ${RUNNER_EVENTS_BODY_BYTES}`)
  })

  test('the sender sends an event larger than a batch alone, and the control plane stores it whole', async () => {
    const claim = await controlPlane()
    const { runtime, taskId } = claim
    const content = 'é'.repeat(3 * 1024 * 1024)
    const items = [line('one'), line('two'), line('three'), toolCall(content), line('four'), line('five')]
    const { batches, logged } = await deliver(claim, items)
    expect(logged).toEqual([])
    expect(batches.map((batch) => [batch.items, batch.status])).toEqual([
      [3, 200],
      [1, 200],
      [2, 200],
    ])
    expect(batches.every((batch) => batch.bytes <= RUNNER_EVENTS_BODY_BYTES)).toBe(true)
    expect(batches[1]?.bytes).toBeGreaterThan(MAX_BODY_BYTES)
    const stored = await storedItems(runtime, taskId)
    expect(stored.map((event) => event.message)).toEqual([
      'one',
      'two',
      'three',
      'Write big.txt',
      'four',
      'five',
    ])
    expect(stored[3]?.metadata?.input.content).toBe(content)
    expect((await runtime.call('GET', `/tasks/${taskId}`)).body.current_attempt.finished_at).not.toBeNull()
  })

  test('an item the control plane refuses for good is replaced by a note of the refusal; later events and the outcome arrive', async () => {
    const claim = await controlPlane()
    const { runtime, taskId } = claim
    const items: RunnerItem[] = [
      line('before'),
      // Longer than any message a run stores: refused by the events route's schema.
      line('y'.repeat(MAX_LINE_CHARS + 1)),
      line('between'),
      { signal: { type: 'needs-input', reason: 'z'.repeat(20_000), metadata: {} } },
      line('after'),
    ]
    const { batches, logged } = await deliver(claim, items)
    // The batch holding the refused signal is refused whole, then sent an item at a time.
    expect(batches.map((batch) => [batch.items, batch.status])).toEqual([
      [1, 200],
      [1, 400],
      [1, 200],
      [3, 400],
      [1, 200],
      [2, 400],
      [1, 400],
      [1, 200],
      [1, 200],
    ])
    expect(logged).toHaveLength(2)
    expect(logged[0]).toContain(
      `attempt ${claim.attemptId}: runner seq 2: The runner host could not deliver a stdout event`,
    )
    expect(logged[1]).toContain('runner seq 4: The runner host could not deliver a needs-input signal')
    const stored = await storedItems(runtime, taskId)
    expect(stored.map((event) => [event.kind, event.metadata?.category ?? null])).toEqual([
      ['stdout', null],
      ['error', 'event-refused'],
      ['stdout', null],
      ['error', 'event-refused'],
      ['stdout', null],
    ])
    expect(stored[1]?.message).toContain('the control plane refused it with 400')
    expect(stored.map((event) => event.metadata?.runner_seq)).toEqual([1, 2, 3, 4, 5])
    expect((await runtime.call('GET', `/tasks/${taskId}`)).body.current_attempt.finished_at).not.toBeNull()
  })

  test('an item larger than the events route takes is replaced before it is sent', async () => {
    const claim = await controlPlane()
    const items = [line('before'), toolCall('w'.repeat(RUNNER_EVENTS_BODY_BYTES)), line('after')]
    const { batches, logged } = await deliver(claim, items)
    // Nothing over the limit goes on the wire: the note of the refusal goes with the next event.
    expect(batches.map((batch) => [batch.items, batch.status])).toEqual([
      [1, 200],
      [2, 200],
    ])
    expect(logged).toEqual([
      expect.stringContaining(`more than the ${RUNNER_EVENTS_BODY_BYTES} bytes the control plane takes`),
    ])
    const stored = await storedItems(claim.runtime, claim.taskId)
    expect(stored.map((event) => [event.kind, event.metadata?.category ?? null])).toEqual([
      ['stdout', null],
      ['error', 'event-refused'],
      ['stdout', null],
    ])
  })
})
