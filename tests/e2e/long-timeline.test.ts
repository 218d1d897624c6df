import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type SeededEvent, seedTask } from '../support/seed-history'
import { waitFor } from '../support/temp'
import { startUi, type UiHarness, waitForStatus } from './harness'

/**
 * A task with 100,000 events (an agent-like conversation: messages, tool calls with their results,
 * output, usage) opens with its newest page and keeps a bounded number of rows while thousands
 * more stream in. The time to open is printed, never asserted.
 */

const EVENTS = 100_000
const STREAMED = 6_000
/** timeline.js trims the page above this many rows. */
const ROW_BOUND = 3_000

/** Five events a round: text, a tool call, its result, a line of output, usage. */
function conversationEvent(seq: number): SeededEvent {
  const round = Math.floor((seq - 1) / 5)
  const agent = (type: string, message: string, fields: Record<string, unknown> = {}) => ({
    kind: 'stdout',
    message,
    metadata: { category: 'agent', type, runner: 'claude-code', ...fields },
  })
  switch ((seq - 1) % 5) {
    case 0:
      return agent('assistant_text', `Step **${round}**: checking \`file-${round}.ts\`.`)
    case 1:
      return agent('tool_call', `$ grep -n todo file-${round}.ts`, {
        tool: 'Bash',
        input: { command: `grep -n todo file-${round}.ts` },
        call_id: `call-${round}`,
      })
    case 2:
      return agent('tool_result', `${round}: todo`, {
        call_id: `call-${round}`,
        output: `${round}: todo`,
        is_error: false,
      })
    case 3:
      return { kind: 'stdout', message: `line ${seq}`, metadata: null }
    default:
      return agent('usage', '', { input_tokens: 100, output_tokens: 20 })
  }
}

let ui: UiHarness
let id = ''

beforeAll(async () => {
  ui = await startUi(undefined, {}, (dbPath, repo) => {
    id = seedTask(
      dbPath,
      { workspace: repo, command: `seq 1 ${STREAMED}`, title: 'A long conversation' },
      EVENTS,
      conversationEvent,
    )
  })
})
afterAll(() => ui?.close())

const rowCount = `document.querySelectorAll('#timeline > li[data-seq]').length`

describe('a 100,000-event timeline', () => {
  test('opens with its newest page, and stays under the row bound while more streams in', async () => {
    const page = await ui.newPage()
    const started = performance.now()
    await page.goto(`${ui.url}/tasks/${id}/view`)
    await page.waitForSelector(`#timeline > li[data-seq="${EVENTS}"]`)
    const openMs = performance.now() - started
    console.log(`opened the ${EVENTS.toLocaleString('en-US')}-event task in ${Math.round(openMs)} ms`)

    // The newest 200 events, with each tool result inside its call's card.
    const rows = await page.evaluate(rowCount)
    expect(rows).toBeLessThan(200)
    expect(await page.$$('#timeline > li[data-attach]')).toHaveLength(0)
    expect(await page.$$('#timeline li.ev-card [data-slot="body"] .term')).not.toHaveLength(0)

    // Record the most rows the page ever holds while the run streams.
    await page.evaluate(`
      window.__maxRows = ${rowCount}
      new MutationObserver(() => { window.__maxRows = Math.max(window.__maxRows, ${rowCount}) })
        .observe(document.getElementById('timeline'), { childList: true })
    `)
    const start = await fetch(`${ui.url}/tasks/${id}/start`, { method: 'POST', headers: ui.server.auth })
    expect(start.status).toBeLessThan(300)
    const { last_seq: last } = await waitFor(
      'the restarted run to finish',
      async () => {
        const task = (await (
          await fetch(`${ui.url}/tasks/${id}?events=none`, { headers: ui.server.auth })
        ).json()) as { status: string; attempts: unknown[]; last_seq: number }
        return task.attempts.length > 0 && task.status === 'completed' ? task : null
      },
      60_000,
    )
    await waitForStatus(page, 'completed')
    expect(last).toBeGreaterThan(EVENTS + STREAMED)
    await page.waitForSelector(`#timeline > li[data-seq="${last}"]`, { timeout: 30_000 })
    const maxRows = (await page.evaluate('window.__maxRows')) as number
    console.log(`most rows in the page while ${last - EVENTS} events streamed: ${maxRows}`)
    expect(maxRows).toBeGreaterThan(2_000)
    expect(maxRows).toBeLessThanOrEqual(ROW_BOUND)

    // What was trimmed can be loaded again.
    const first = Number(
      await page.$eval('#timeline > li[data-seq]', (row) => (row as HTMLElement).dataset.seq),
    )
    await page.click('#older-events button')
    await page.waitForFunction(
      (seq) => Number((document.querySelector('#timeline > li[data-seq]') as HTMLElement).dataset.seq) < seq,
      first,
    )
    await page.close()
    expect(ui.pageErrors).toEqual([])
  }, 180_000)
})
