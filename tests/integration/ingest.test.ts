import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
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
