import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { readSseText, type SseTextFrame } from '../support/sse'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime()
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

async function createShell(title: string, command: string): Promise<string> {
  const created = await rt.call('POST', '/tasks', {
    title,
    prompt: '',
    runner: 'shell',
    command,
    workspace: repo,
  })
  expect(created.status).toBe(200)
  return created.body.id
}

async function runUntil(id: string, status: string): Promise<void> {
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor(
    `${id} to be ${status}`,
    async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status === status,
    30_000,
  )
}

/** Opens the page's status stream (optionally resuming) and reads frames until `until` says stop. */
async function readStatus(
  lastEventId: string | undefined,
  until: (frames: SseTextFrame[]) => boolean,
): Promise<SseTextFrame[]> {
  const response = await rt.handle('/ui/events', {
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  })
  expect(response.status).toBe(200)
  const frames: SseTextFrame[] = []
  for await (const frame of readSseText(response.body as ReadableStream<Uint8Array>)) {
    frames.push(frame)
    if (until(frames)) break
  }
  return frames
}

const isReady = (frame: SseTextFrame) => frame.event === 'ready'

describe("the pages' status stream resumes where it stopped", () => {
  test('every frame carries a time as its id, the ready frame the time the stream opened', async () => {
    const id = await createShell('Quick one', 'echo one > one.txt')
    const opened = Date.now()
    const response = await rt.handle('/ui/events')
    const reader = readSseText(response.body as ReadableStream<Uint8Array>)
    const ready = (await reader.next()).value as SseTextFrame
    expect(ready.event).toBe('ready')
    expect(Date.parse(ready.id ?? '')).toBeGreaterThanOrEqual(opened - 1000)
    await runUntil(id, 'ready-for-review')
    const statuses: SseTextFrame[] = []
    for await (const frame of reader) {
      statuses.push(frame)
      if (JSON.parse(frame.data).status === 'ready-for-review') break
    }
    for (const frame of statuses) {
      expect(frame.event).toBe('status')
      expect(JSON.parse(frame.data).task_id).toBe(id)
      expect((frame.id ?? '') >= (ready.id ?? '')).toBe(true)
    }
  })

  test('a client that was away is first told the current status of every task that changed meanwhile', async () => {
    const before = await createShell('Changed before', 'echo two > two.txt')
    await runUntil(before, 'ready-for-review')
    const [ready] = await readStatus(undefined, (frames) => frames.some(isReady))
    const failing = await createShell('Fails while away', 'exit 3')
    await runUntil(failing, 'failed')

    const resumed = await readStatus(ready?.id, (frames) => frames.some(isReady))
    const missed = resumed.filter((frame) => frame.event === 'status').map((frame) => JSON.parse(frame.data))
    expect(missed).toContainEqual(
      expect.objectContaining({ task_id: failing, status: 'failed', title: 'Fails while away' }),
    )
    // Only what changed since: the task that was already done is not sent again.
    expect(missed.map((change) => change.task_id)).not.toContain(before)
    expect(resumed.at(-1)?.event).toBe('ready')
  })

  test('a Last-Event-ID that is not a time the stream sent is refused with a 400 that names it', async () => {
    const response = await rt.handle('/ui/events', { headers: { 'last-event-id': '12; DROP' } })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Last-Event-ID must be a time the stream sent')
  })
})
