import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { createRedactor } from '../../src/policy'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startTestRuntime()
})
afterAll(() => rt?.close())

test('a task printing 1,000,000 lines: every line persisted, in order, while the API keeps answering', async () => {
  const repo = makeRepo(join(rt.dir, 'repo'))
  const created = await rt.call('POST', '/tasks', {
    title: 'a million lines',
    prompt: '',
    runner: 'shell',
    command: 'seq 1 1000000',
    workspace: repo,
  })
  const id = created.body.id
  await rt.call('POST', `/tasks/${id}/start`)
  // The server keeps serving while the output is ingested.
  const during = await rt.call('GET', '/tasks?events=none')
  expect(during.status).toBe(200)
  await waitFor(
    'the run to finish',
    async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status === 'completed',
    120_000,
  )

  const db = rt.runtime.store.db
  const stdout = db
    .query<{ n: number; first: number; last: number }, [string]>(
      "SELECT COUNT(*) AS n, MIN(seq) AS first, MAX(seq) AS last FROM events WHERE task_id = ? AND kind = 'stdout'",
    )
    .get(id)
  expect(stdout?.n).toBe(1_000_000)
  const offset = (stdout?.first ?? 0) - 1
  // Line k carries the text "k" and sits at seq offset+k: nothing lost, duplicated or reordered.
  const misplaced = db
    .query<{ n: number }, [string, number]>(
      "SELECT COUNT(*) AS n FROM events WHERE task_id = ? AND kind = 'stdout' AND message != CAST(seq - ? AS TEXT)",
    )
    .get(id, offset)
  expect(misplaced?.n).toBe(0)
  expect((stdout?.last ?? 0) - (stdout?.first ?? 0) + 1).toBe(1_000_000)
}, 180_000)

test('one 50 MB line without a newline: /health is answered while it streams, and it is stored in bounded pieces, redacted', async () => {
  const repo = makeRepo(join(rt.dir, 'repo-long-line'))
  const size = 50 * 1024 * 1024
  // A secret's name every 18 characters: the stream redactor has to look at all of it.
  const created = await rt.call('POST', '/tasks', {
    title: 'one long line',
    prompt: '',
    runner: 'shell',
    command: `yes 'password: hunter2' | head -c ${size} | tr '\\n' ' '`,
    workspace: repo,
    policy: { max_output_mb: 100 },
  })
  const id = created.body.id
  await rt.call('POST', `/tasks/${id}/start`)
  let answeredWhileStreaming = 0
  while (true) {
    const health = await rt.call('GET', '/health')
    expect(health.status).toBe(200)
    const status = (await rt.call('GET', `/tasks/${id}?events=none`)).body.status
    if (status !== 'running' && status !== 'queued') {
      expect(status).toBe('completed')
      break
    }
    if (status === 'running') answeredWhileStreaming++
    // In-process requests never wait on the event loop: pace them so the queue and the run get it.
    await Bun.sleep(10)
  }
  expect(answeredWhileStreaming).toBeGreaterThan(0)

  const pieces = rt.runtime.store.db
    .query<{ message: string }, [string]>(
      "SELECT message FROM events WHERE task_id = ? AND kind = 'stdout' ORDER BY seq",
    )
    .all(id)
    .map((row) => row.message)
  const input = 'password: hunter2 '.repeat(Math.ceil(size / 18)).slice(0, size)
  const expected = createRedactor().redact(input)
  expect(pieces.every((piece) => piece.length <= 16 * 1024)).toBe(true)
  expect(pieces.length).toBe(Math.ceil(expected.length / (16 * 1024)))
  expect(pieces.join('') === expected).toBe(true)
}, 180_000)
