import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { api, runShell } from '../support/server-process'
import { waitFor } from '../support/temp'
import { startUi, type UiHarness, waitForStatus } from './harness'

let ui: UiHarness

/** Keeps every notification the page shows as its object, so a test can click one. */
const KEEP_NOTIFICATIONS = `
  window.__notificationObjects = []
  const Recorded = window.Notification
  window.Notification = class extends Recorded {
    constructor(title, options) {
      super(title, options)
      this.title = title
      window.__notificationObjects.push(this)
    }
  }
`

beforeAll(async () => {
  ui = await startUi()
  await ui.context.addInitScript(KEEP_NOTIFICATIONS)
})
afterAll(() => ui?.close())

const ROSTER_ITEMS = '#roster .roster-item'

const rosterIds = (page: Page) =>
  page.$$eval(ROSTER_ITEMS, (items) => items.map((item) => (item as HTMLElement).dataset.taskId))

async function shellTask(title: string, command: string): Promise<string> {
  const created = await api(ui.server, 'POST', '/tasks', {
    title,
    prompt: '',
    runner: 'shell',
    command,
    workspace: ui.repo,
  })
  expect(created.status).toBe(200)
  return created.body.id
}

async function startTask(id: string, status: string): Promise<void> {
  expect((await api(ui.server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor(
    `task ${id} to be ${status}`,
    async () => (await api(ui.server, 'GET', `/tasks/${id}?events=none`)).body.status === status,
    30_000,
  )
}

const taskIdInUrl = (page: Page) => new URL(page.url()).pathname.match(/^\/tasks\/([^/]+)\/view$/)?.[1]

describe('keyboard only', () => {
  test('j/k open roster entries, ? lists the shortcuts, r replies, s stops after its confirm, fields swallow keys', async () => {
    const running = await shellTask('Long sleeper', 'sleep 600')
    await startTask(running, 'running')
    const done = await shellTask('Writes a file', 'echo done > done.txt')
    await startTask(done, 'ready-for-review')

    const page = await ui.newPage()
    const confirms: string[] = []
    page.on('dialog', (dialog) => confirms.push(dialog.message()))
    await page.goto(ui.url)
    const order = await rosterIds(page)
    expect(order).toContain(running)
    expect(order).toContain(done)

    await page.keyboard.press('j')
    await page.waitForURL(`**/tasks/${order[0]}/view`)
    await page.goto(ui.url)
    await page.keyboard.press('k')
    await page.waitForURL(`**/tasks/${order.at(-1)}/view`)
    await page.goto(ui.url)
    await page.focus(`${ROSTER_ITEMS}[data-task-id="${running}"]`)
    await page.keyboard.press('o')
    await page.waitForURL(`**/tasks/${running}/view`)
    await waitForStatus(page, 'running')

    // The help: a modal dialog that holds the focus, lists every shortcut, and closes on Escape.
    await page.keyboard.press('?')
    const help = page.locator('dialog#shortcut-help[open]')
    await help.waitFor()
    const listed = await help.locator('dd').allTextContents()
    for (const label of [
      'Next task',
      'Previous task',
      'Reply',
      'Stop the run',
      'Merge the changes',
      'Show these shortcuts',
    ])
      expect(listed.some((text) => text.startsWith(label))).toBe(true)
    expect(await page.evaluate(() => document.activeElement?.closest('dialog')?.id)).toBe('shortcut-help')
    await page.keyboard.press('Escape')
    await help.waitFor({ state: 'detached' })

    // r focuses the reply box; what is typed there stays there, even shortcut keys.
    await page.keyboard.press('r')
    const reply = await page.evaluate(() => document.activeElement?.id)
    expect(reply).toBe('reply-message')
    await page.keyboard.type('jks?v')
    expect(await page.inputValue('#reply-message')).toBe('jks?v')
    expect(taskIdInUrl(page)).toBe(running)
    expect(confirms).toEqual([])
    expect(await page.locator('dialog[open]').count()).toBe(0)

    // Escape leaves the field; then s asks to stop (the confirm is accepted) and the run stops.
    await page.keyboard.press('Escape')
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true)
    await page.keyboard.press('s')
    await waitForStatus(page, 'stopped')
    expect(confirms).toEqual(['Stop this run?'])
    await page.close()
  })

  test('with Ctrl, Meta or Alt held, no shortcut fires', async () => {
    const page = await ui.newPage()
    await page.goto(ui.url)
    expect((await rosterIds(page)).length).toBeGreaterThan(0)
    for (const chord of ['Control+j', 'Alt+j', 'Meta+j']) await page.keyboard.press(chord)
    // j would have focused the first entry at once, before navigating to it.
    expect(await page.evaluate(() => document.activeElement?.matches('#roster .roster-item') ?? false)).toBe(
      false,
    )
    expect(await page.evaluate(() => sessionStorage.getItem('openruntime:refocus-roster'))).toBeNull()
    await page.keyboard.press('Shift+?')
    await page.locator('dialog#shortcut-help[open]').waitFor()
    // The help opened on the same page: none of the chords navigated away.
    expect(new URL(page.url()).pathname).toBe('/')
    await page.close()
  })
})

describe('attention', () => {
  test('a task that fails and one ready for review bump the title, notify, and mark their roster entries', async () => {
    const page = await ui.newPage()
    await page.goto(ui.url)
    await page.click('#notify-enable')
    const failing = await shellTask('Breaks the build', 'exit 4')
    const reviewing = await shellTask('Edits the readme', 'echo more >> README.md')
    await startTask(failing, 'failed')
    await startTask(reviewing, 'ready-for-review')

    await page.waitForFunction(() => document.title.startsWith('(2) '))
    expect(await page.title()).toBe('(2) Ready for review: Edits the readme · openRuntime')
    const titles = () =>
      page.evaluate(() => (window as any).__notifications.map((note: { title: string }) => note.title))
    await waitFor('both notifications', async () => (await titles()).length >= 2)
    expect(await titles()).toEqual(
      expect.arrayContaining(['Failed: Breaks the build', 'Ready for review: Edits the readme']),
    )
    await page.waitForSelector(`${ROSTER_ITEMS}[data-task-id="${failing}"][data-attention="failed"]`)
    await page.waitForSelector(`${ROSTER_ITEMS}[data-task-id="${reviewing}"][data-attention="review"]`)

    // Clicking a notification opens its task.
    await page.evaluate(() =>
      (window as any).__notificationObjects
        .find((note: { title: string }) => note.title.startsWith('Failed'))
        .onclick(),
    )
    await page.waitForURL(`**/tasks/${failing}/view`)
    await page.close()
  })
})

describe('progress for long operations', () => {
  test('while a merge is in flight its button is disabled, busy and says "Merging…"', async () => {
    const id = await runShell(ui.server, ui.repo, 'echo merged > merged.txt')
    const page = await ui.newPage()
    await page.goto(`${ui.url}/tasks/${id}/view`)
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    await page.route(`**/ui/tasks/${id}/merge`, async (route) => {
      await held
      await route.continue()
    })
    const merge = page.locator('#task-summary button:has-text("Merge")')
    await merge.click()
    const busy = page.locator('#task-summary button[aria-busy="true"]:has-text("Merging…")')
    await busy.waitFor()
    expect(await busy.isDisabled()).toBe(true)
    release()
    await waitFor(
      'the merge to be recorded',
      async () => (await api(ui.server, 'GET', `/tasks/${id}?events=none`)).body.worktree_merged_at,
      30_000,
    )
    await page.waitForSelector('#task-summary button[aria-busy="true"]', { state: 'detached' })
    await page.close()
  })

  test('while the review of the changes is being built, its link says so', async () => {
    const id = await runShell(ui.server, ui.repo, 'echo reviewed > reviewed.txt')
    const page = await ui.newPage()
    // While a navigation is pending Playwright cannot read the page, so the page notes what its link
    // said at the moment it was left (after the review's response arrived, so all through the wait).
    await page.addInitScript(() => {
      addEventListener('pagehide', () => {
        const link = document.querySelector('a[aria-busy="true"]')
        sessionStorage.setItem('link-when-left', link?.textContent ?? 'no busy link')
      })
    })
    await page.goto(`${ui.url}/tasks/${id}/view`)
    await page.click('[data-shortcut="v"]')
    await page.waitForURL(`${ui.url}/tasks/${id}/review`)
    await page.waitForSelector('#diff .d2h-file-wrapper')
    expect(await page.evaluate(() => sessionStorage.getItem('link-when-left'))).toBe('Opening the diff…')
    await page.goBack()
    await page.waitForURL(`${ui.url}/tasks/${id}/view`)
    expect(await page.textContent('[data-shortcut="v"]')).toBe('Review changes')
    await page.close()
  })
})
