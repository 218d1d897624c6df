import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { waitFor } from '../support/temp'
import { startUi, type UiHarness, waitForStatus } from './harness'

let ui: UiHarness
let restarted: ServerProcess | undefined

beforeAll(async () => {
  ui = await startUi()
})
afterAll(async () => {
  await restarted?.kill('SIGTERM')
  await ui?.close()
})

/** The server started again on the same port and database, as after a restart. */
function restart(): Promise<ServerProcess> {
  return spawnServer({
    OPENRUNTIME_DB: join(ui.dir, 'data', 'openruntime.sqlite3'),
    OPENRUNTIME_PARTIAL_LINE_MS: '150',
    OPENRUNTIME_DISCOVERY_ROOTS: ui.dir,
    PORT: new URL(ui.url).port,
  })
}

const timelineSeqs = (page: Page) =>
  page.$$eval('#timeline li[data-seq]', (rows) => rows.map((row) => Number((row as HTMLElement).dataset.seq)))

async function lastSeq(server: ServerProcess, id: string): Promise<number> {
  return (await api(server, 'GET', `/tasks/${id}?events=none`)).body.last_seq
}

/** Every event of the task is on the page once, in order: the seqs run 1…last without a gap or a repeat. */
async function expectWholeTimeline(page: Page, server: ServerProcess, id: string): Promise<void> {
  const last = await lastSeq(server, id)
  await page.waitForFunction(
    (wanted) =>
      Number(document.querySelector('#timeline li[data-seq]:last-of-type')?.getAttribute('data-seq')) >=
      wanted,
    last,
  )
  expect(await timelineSeqs(page)).toEqual(Array.from({ length: last }, (_, i) => i + 1))
}

describe('a restart of the server', () => {
  test('the page says it is offline, then reconnected, and the timeline continues without gap or repeat', async () => {
    const created = await api(ui.server, 'POST', '/tasks', {
      title: 'Asks across a restart',
      prompt: '',
      runner: 'shell',
      command: 'printf "Name? "; read n; echo "hi $n"',
      workspace: ui.repo,
    })
    const id: string = created.body.id
    const page = await ui.newPage()
    await page.goto(`${ui.url}/tasks/${id}/view`)
    await page.click('#task-summary button:has-text("Start")')
    await waitForStatus(page, 'needs-input')
    await page.waitForSelector('#timeline >> text=Name?')
    const status = page.locator('#connection-status')
    expect(await status.isHidden()).toBe(true)

    await ui.server.kill('SIGTERM')
    await page.waitForSelector('#connection-status:not([hidden]) >> text=Offline — reconnecting…')
    restarted = await restart()
    await page.waitForSelector('#connection-status:not([hidden]) >> text=Reconnected')
    const server = restarted

    // What happened to the task while the page was away (the run ended with the old server) arrives.
    const after = (await api(server, 'GET', `/tasks/${id}?events=none`)).body.status
    await waitForStatus(page, after)
    expect(after).not.toBe('needs-input')
    await expectWholeTimeline(page, server, id)

    // And what happens next streams live, still in order.
    const before = await lastSeq(server, id)
    expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    await waitFor('the restarted run to log', async () => (await lastSeq(server, id)) > before, 30_000)
    await page.waitForSelector('#timeline li:last-of-type >> text=Name?')
    await expectWholeTimeline(page, server, id)
    await page.waitForSelector('#connection-status', { state: 'hidden' })
    expect(ui.pageErrors).toEqual([])
    await page.close()
  })
})
