import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import fc from 'fast-check'
import { ansiToHtml } from '../../src/views/ansi'
import { EventRow } from '../../src/views/event-row'
import { INVISIBLE, visibleText } from '../../src/views/visible'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { readSseText } from '../support/sse'
import { waitFor } from '../support/temp'
import { LINES, PRINT_LINES, SEEN_TITLE, TITLE } from '../support/terminal-lines'

/** What a reader sees of an HTML fragment: its text, tags dropped and references decoded. */
const textOf = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&')

const hasRawControl = (html: string) => html.search(INVISIBLE) !== -1

describe('terminal output as HTML', () => {
  for (const [what, line, seen] of LINES) {
    test(`${what}: its text stays visible, the escape is shown as a marker`, () => {
      const html = ansiToHtml(line)
      expect(textOf(html)).toBe(seen)
      expect(html).not.toContain('<a')
      expect(hasRawControl(html)).toBe(false)
    })
  }

  test('colours still render, and carry on across a marker in the same line', () => {
    const html = ansiToHtml('\x1b[31mred\x1b[2Kstill red\x1b[0m plain')
    expect(html.match(/<span class="ansi-red-fg">[^<]*<\/span>/g)).toEqual([
      '<span class="ansi-red-fg">red</span>',
      '<span class="ansi-red-fg">still red</span>',
    ])
    expect(html).toContain('<span class="ctl"')
    expect(textOf(html)).toBe('red␛[2Kstill red plain')
  })

  test('whatever a line holds, everything but understood colours is shown: nothing vanishes, nothing links', () => {
    // No "m" in the alphabet, so no colour can be formed and every character must be seen.
    const alphabet = fc.constantFrom(
      '\x1b',
      '[',
      ']',
      ';',
      '8',
      '5',
      '9',
      '\x07',
      '\\',
      'a',
      ' ',
      '\x00',
      '\x9b',
      '<',
      '&',
      '"',
    )
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        const line = chars.join('')
        const html = ansiToHtml(line)
        expect(textOf(html)).toBe(visibleText(line))
        expect(html).not.toContain('<a')
        expect(hasRawControl(html)).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  test('an output row of the timeline shows the link text and no link', () => {
    const row = EventRow({
      event: {
        id: '1',
        task_id: 't',
        seq: 1,
        attempt_id: null,
        kind: 'stdout',
        message: LINES[0]?.[1] ?? '',
        metadata: null,
        created_at: '2026-01-02T03:04:05.000Z',
      },
    }) as string
    expect(row).toContain('link-text')
    expect(row).not.toContain('href="http://x"')
  })
})

describe('a task whose title and output carry control characters, through the real server', () => {
  let rt: TestRuntime
  let id = ''
  beforeAll(async () => {
    rt = await startTestRuntime()
    const created = await rt.call('POST', '/tasks', {
      title: TITLE,
      prompt: '',
      runner: 'shell',
      command: PRINT_LINES,
      workspace: makeRepo(join(rt.dir, 'repo')),
    })
    expect(created.status).toBe(200)
    id = created.body.id
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    await waitFor(
      'the task to finish',
      async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status === 'completed',
    )
  })
  afterAll(() => rt?.close())

  const page = async (path: string) => (await rt.handle(path)).text()

  test('the run printed exactly those lines (the API keeps them as they are)', async () => {
    const events = (await rt.call('GET', `/tasks/${id}/events`)).body
    expect(events.filter((event: any) => event.kind === 'stdout').map((event: any) => event.message)).toEqual(
      LINES.map(([, line]) => line),
    )
    expect((await rt.call('GET', `/tasks/${id}`)).body.title).toBe(TITLE)
  })

  test('the task page shows title and output visibly, with no raw control character and no link', async () => {
    const html = await page(`/tasks/${id}/view`)
    expect(hasRawControl(html)).toBe(false)
    expect(html).toContain(`<title>${SEEN_TITLE} · openRuntime</title>`)
    expect(textOf(html.match(/<h1 id="task-title">([\s\S]*?)<\/h1>/)?.[1] ?? '')).toBe(SEEN_TITLE)
    for (const [, , seen] of LINES) expect(textOf(html)).toContain(seen)
    expect(html).not.toContain('href="http://x"')
    expect(html).not.toContain('href="file:')
  })

  test('the dashboard list, the older-events fragment and the live stream do the same', async () => {
    const list = await page('/ui/tasks')
    expect(hasRawControl(list)).toBe(false)
    expect(textOf(list)).toContain(SEEN_TITLE)
    const lastSeq = (await rt.call('GET', `/tasks/${id}?events=none`)).body.last_seq
    const older = await page(`/ui/tasks/${id}/events?before=${lastSeq + 1}`)
    expect(hasRawControl(older)).toBe(false)
    for (const [, , seen] of LINES) expect(textOf(older)).toContain(seen)

    const response = await rt.handle(`/ui/tasks/${id}/stream?after=0`)
    let streamed = ''
    for await (const frame of readSseText(response.body as ReadableStream<Uint8Array>)) {
      expect(hasRawControl(frame.data)).toBe(false)
      if (frame.event === 'message') streamed += frame.data
      if (frame.event === 'status') {
        expect(JSON.parse(frame.data).title).toBe(SEEN_TITLE)
        break
      }
    }
    for (const [, , seen] of LINES) expect(textOf(streamed.replaceAll('&#10;', '\n'))).toContain(seen)
  })
})
