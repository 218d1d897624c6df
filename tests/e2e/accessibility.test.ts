import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chromium, type Page } from 'playwright-core'
import { seriousViolations, THEMES, VIEWPORTS } from './axe'
import { dispatchShell, startUi, taskIdByTitle, type UiHarness, useWorkspace, waitForStatus } from './harness'

let ui: UiHarness
let taskId: string

beforeAll(async () => {
  ui = await startUi({ 'README.md': '# demo\n' })
  const page = await ui.newPage()
  await page.goto(ui.url)
  await useWorkspace(page, ui.repo)
  await dispatchShell(page, {
    title: 'Write the notes',
    command: "echo '- more notes' >> README.md; echo done",
  })
  taskId = await taskIdByTitle(page, 'Write the notes')
  await page.goto(`${ui.url}/tasks/${taskId}/view`)
  await waitForStatus(page, 'ready-for-review')
  await page.close()
})
afterAll(() => ui?.close())

// /swagger is left out: it is Scalar's API reference, a vendored page whose markup is not ours.
const PAGES = [
  { name: 'mission control', path: () => '/', ready: '#roster .roster-item' },
  { name: 'a finished shell task', path: () => `/tasks/${taskId}/view`, ready: '#timeline li[data-seq]' },
  { name: 'its review', path: () => `/tasks/${taskId}/review`, ready: '#diff .d2h-file-wrapper' },
]

describe('axe-core finds no serious or critical violation', () => {
  for (const [viewport, size] of Object.entries(VIEWPORTS)) {
    for (const theme of THEMES) {
      test(`on every page, ${viewport} width, ${theme} theme`, async () => {
        const page = await ui.newPage()
        await page.setViewportSize(size)
        await page.emulateMedia({ colorScheme: theme })
        const found: string[] = []
        for (const target of PAGES) {
          await page.goto(`${ui.url}${target.path()}`)
          await page.waitForSelector(target.ready)
          found.push(...(await seriousViolations(page)).map((line) => `${target.name}: ${line}`))
        }
        await page.close()
        expect(found).toEqual([])
      })
    }
  }

  test('on the login page a signed-out browser gets, in both themes', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu'],
    })
    try {
      // A context of its own: axe finishes its run in a page it opens beside this one.
      const page = await (await browser.newContext()).newPage()
      await page.goto(ui.url)
      expect(new URL(page.url()).pathname).toBe('/login')
      for (const theme of THEMES) {
        await page.emulateMedia({ colorScheme: theme })
        expect(await seriousViolations(page)).toEqual([])
      }
    } finally {
      await browser.close()
    }
  })
})

/** Presses Tab until the focused element matches, failing after a bounded number of presses. */
async function tabTo(page: Page, selector: string, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab')
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return
  }
  throw new Error(`Tab never reached ${selector}`)
}

describe('the keyboard alone', () => {
  test('reaches and uses the roster, the task actions and the composer', async () => {
    const page = await ui.newPage()
    await page.goto(ui.url)

    // Roster: Tab to the task's entry and open it with Enter.
    await tabTo(page, `#roster .roster-item[data-task-id="${taskId}"]`)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${ui.url}/tasks/${taskId}/view`)
    expect(await page.getAttribute(`#roster .roster-item[data-task-id="${taskId}"]`, 'aria-current')).toBe(
      'page',
    )

    // Task actions: Tab to "Review changes" and follow it.
    await tabTo(page, '#task-summary a[data-shortcut="v"]')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${ui.url}/tasks/${taskId}/review`)
    await tabTo(page, '#review button[data-shortcut="m"]')

    // Composer: "New task" in the header lands in the goal or command field.
    await page.goto(`${ui.url}/tasks/${taskId}/view`)
    await tabTo(page, 'header a[data-shortcut="n"]')
    await page.keyboard.press('Enter')
    await page.waitForURL(`${ui.url}/#composer`)
    await page.waitForFunction(() => document.activeElement?.matches('#dispatch-form textarea') ?? false)
    await tabTo(page, '#d-runner')
    await page.keyboard.type('Shell')
    expect(await page.$eval('#d-runner', (select) => (select as HTMLSelectElement).value)).toBe('shell')
    await page.keyboard.press('Shift+Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('d-command')
    await page.keyboard.type('echo typed by keyboard')
    await page.$eval('#flash', (flash) => flash.replaceChildren())
    await tabTo(page, '#dispatch-form button[type=submit]')
    await page.keyboard.press('Enter')
    await page.waitForSelector('#flash .flash-ok >> text=Started')
    await page.waitForSelector('#roster .roster-item[data-task-title="echo typed by keyboard"]')
    await page.close()
    expect(ui.pageErrors).toEqual([])
  })
})
