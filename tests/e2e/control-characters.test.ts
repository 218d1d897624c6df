import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { api } from '../support/server-process'
import { LINES, PRINT_LINES, SEEN_TITLE, TITLE } from '../support/terminal-lines'
import { startUi, type UiHarness, waitForStatus } from './harness'

let ui: UiHarness
beforeAll(async () => {
  ui = await startUi()
})
afterAll(() => ui?.close())

/** What Chromium shows of the task: its heading, the tab title, the timeline's output rows, and links in them. */
const shown = (page: Page) =>
  page.evaluate(() => ({
    heading: document.getElementById('task-title')?.textContent?.trim(),
    tab: document.title,
    output: Array.from(document.querySelectorAll('#timeline .ev-out .ev-body')).map(
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the reviewer sees
      (row) => (row as HTMLElement).innerText,
    ),
    links: Array.from(document.querySelectorAll('#timeline .ev-body a')).map((link) =>
      link.getAttribute('href'),
    ),
  }))

test('in Chromium, a title and output full of control characters and escapes show all their text, live and after a reload', async () => {
  const created = await api<{ id: string }>(ui.server, 'POST', '/tasks', {
    title: TITLE,
    prompt: '',
    runner: 'shell',
    command: PRINT_LINES,
    workspace: ui.repo,
  })
  expect(created.status).toBe(200)
  const id = created.body.id
  const page = await ui.newPage()
  await page.goto(`${ui.url}/tasks/${id}/view`)
  // Started with the page open, so the rows arrive over the live stream.
  expect((await api(ui.server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitForStatus(page, 'completed')
  await page.waitForFunction(
    (count) => document.querySelectorAll('#timeline .ev-out').length >= count,
    LINES.length,
  )

  for (const view of ['live', 'reloaded']) {
    if (view === 'reloaded') await page.reload()
    const seen = await shown(page)
    expect(seen.heading).toBe(SEEN_TITLE)
    expect(seen.tab).toStartWith(SEEN_TITLE)
    expect(seen.output).toEqual(LINES.map(([, , visible]) => visible))
    expect(seen.links).toEqual([])
  }
  expect(ui.pageErrors).toEqual([])
  await page.close()
})
