import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../src/errors'
import type { ReadAnswer, TaskListQuestion } from '../../src/routes/reads/answers'
import { inlineReader, ThreadReader } from '../../src/routes/reads/reader'
import { Store } from '../../src/storage/store'
import { readSideSettings } from '../../src/tasks/read-side'
import { countElements } from '../support/html-parse'
import { createShellTask, startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let workspace: string

const text = ({ body }: ReadAnswer) => {
  if (body instanceof Blob) throw new Error('a page is never answered as a Blob')
  return typeof body === 'string' ? body : new TextDecoder().decode(body)
}
const answerText = async ({ body }: ReadAnswer) =>
  body instanceof Blob ? await body.text() : text({ body, headers: {} })

/** A finished shell task whose title and output a browser must not take for markup. */
async function finishedTask(title: string, command: string): Promise<string> {
  const id = await createShellTask(rt, workspace, command, { title, policy: { allow_in_place: true } })
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor(
    'the task to finish',
    async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status === 'completed',
  )
  return id
}

/** A thread reader once its thread is ready (`thread` names another entry), closed after `use`. */
async function withThreadReader(
  use: (reader: ThreadReader) => Promise<void>,
  thread?: URL,
  busy?: () => boolean,
): Promise<void> {
  const reader = new ThreadReader(readSideSettings(rt.runtime.config), rt.runtime, { thread, busy })
  try {
    expect(await reader.ready).toBe(true)
    await use(reader)
  } finally {
    reader.close()
  }
}

beforeAll(async () => {
  rt = await startTestRuntime()
  workspace = join(rt.dir, 'plain')
  mkdirSync(workspace)
})
afterAll(() => rt?.close())

describe("the pages' thread", () => {
  test('builds the task page the event loop would, from its own connection', async () => {
    const id = await finishedTask(
      '<img src=x onerror=alert(1)> page',
      "printf 'one\\n<script>two</script>\\n'",
    )
    await withThreadReader(async (reader) => {
      const threaded = await reader.answer({ kind: 'task-page', id })
      // Moved as bytes, not copied as a string: the answer came from the thread.
      expect(threaded.body).toBeInstanceOf(Uint8Array)
      const inline = await inlineReader(rt.runtime).answer({ kind: 'task-page', id })
      expect(typeof inline.body).toBe('string')
      expect(text(threaded)).toBe(text(inline))
      expect(threaded.headers).toEqual(inline.headers)
      // Read as a browser reads it: the title and the output are text, never elements.
      expect(await countElements(text(threaded), 'img')).toBe(0)
      expect(await countElements(text(threaded), 'script:not([src])')).toBe(0)
      expect(text(threaded)).toContain('&lt;script&gt;two&lt;/script&gt;')
    })
  })

  test('sees what the loop committed a moment before (a new task, a finished run)', async () => {
    await withThreadReader(async (reader) => {
      const id = await finishedTask('committed just now', "printf 'fresh output\\n'")
      const page = text(await reader.answer({ kind: 'task-page', id }))
      expect(page).toContain('committed just now')
      expect(page).toContain('fresh output')
    })
  })

  test('refuses an unknown task with the error the loop would give, typed', async () => {
    await withThreadReader(async (reader) => {
      const missing = '00000000-0000-4000-8000-000000000000'
      const error = await reader.answer({ kind: 'task-page', id: missing }).catch((thrown) => thrown)
      expect(error).toBeInstanceOf(AppError)
      expect({ kind: error.kind, code: error.code, message: error.message }).toEqual({
        kind: 'not_found',
        code: 'task_not_found',
        message: `task ${missing} not found`,
      })
      const page = await rt.handle(`/tasks/${missing}/view`)
      expect(page.status).toBe(404)
    })
  })

  test('a question the thread took with it when it ended is answered on the loop, and so is every one after', async () => {
    const id = await finishedTask('outlives its thread', "printf 'kept\\n'")
    const ending = new URL('../support/ending-read-thread.ts', import.meta.url)
    await withThreadReader(async (reader) => {
      const inline = text(await inlineReader(rt.runtime).answer({ kind: 'task-page', id }))
      const taken = await reader.answer({ kind: 'task-page', id })
      // The thread never answers: this is the loop's answer (a string, not the thread's bytes).
      expect(typeof taken.body).toBe('string')
      expect(text(taken)).toBe(inline)
      const after = await reader.answer({ kind: 'task-page', id })
      expect(typeof after.body).toBe('string')
      expect(text(after)).toBe(inline)
    }, ending)
  })

  test('builds a page of the task list the loop would, cursor included, while the loop is busy', async () => {
    await finishedTask('listed first', "printf 'one\\n'")
    await finishedTask('<b>listed</b> second', "printf 'two\\n'")
    const question: TaskListQuestion = {
      kind: 'task-list',
      query: { limit: 1, status: ['completed'] },
      embed: 'all',
    }
    await withThreadReader(
      async (reader) => {
        const threaded = await reader.answer(question)
        expect(threaded.body).toBeInstanceOf(Uint8Array)
        const inline = await inlineReader(rt.runtime).answer(question)
        expect(inline.body).toBeInstanceOf(Blob)
        expect(await answerText(threaded)).toBe(await answerText(inline))
        expect(threaded.headers).toEqual(inline.headers)
        expect(threaded.headers['x-next-cursor']).toBeString()
        const [task] = JSON.parse(await answerText(threaded))
        expect(task.title).toBe('<b>listed</b> second')
        expect(task.events.map((event: { message: string }) => event.message)).toContain('two')
      },
      undefined,
      () => true,
    )
  })

  test('leaves the task list to an idle loop, and still builds task pages itself', async () => {
    const id = await finishedTask('idle loop', "printf 'quiet\\n'")
    let busy = false
    await withThreadReader(
      async (reader) => {
        const list: TaskListQuestion = { kind: 'task-list', query: { limit: 5 }, embed: 'none' }
        expect((await reader.answer(list)).body).toBeInstanceOf(Blob)
        expect((await reader.answer({ kind: 'task-page', id })).body).toBeInstanceOf(Uint8Array)
        busy = true
        expect((await reader.answer(list)).body).toBeInstanceOf(Uint8Array)
      },
      undefined,
      () => busy,
    )
  })

  test('its connection refuses every write', () => {
    const reading = Store.openForReading(rt.runtime.config.dbPath)
    try {
      expect(reading.tasks.list({ limit: 5 }).length).toBeGreaterThan(0)
      expect(() => reading.db.exec("UPDATE tasks SET title = 'changed by the reader'")).toThrow(
        /readonly|read-only/i,
      )
      expect(() => reading.db.exec('DELETE FROM events')).toThrow(/readonly|read-only/i)
    } finally {
      reading.close()
    }
  })
})
