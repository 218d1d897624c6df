import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { api } from '../support/server-process'
import { seriousViolations, THEMES, VIEWPORTS } from './axe'
import { startUi, type UiHarness, useWorkspace } from './harness'

let ui: UiHarness

beforeAll(async () => {
  ui = await startUi({ 'README.md': '# demo\n' })
})
afterAll(() => ui?.close())

// Each variant writes the path of its own worktree (different in each) and one identical file.
const COMMAND = 'pwd > where.txt; echo same > common.txt'

test('dispatch three attempts, see them as one roster entry, compare them, pick one', async () => {
  const page = await ui.newPage()
  await page.goto(ui.url)
  await useWorkspace(page, ui.repo)
  await page.selectOption('#d-runner', 'shell')
  await page.fill('#d-title', 'Where am I')
  await page.fill('#d-command', COMMAND)
  await page.fill('#d-attempts', '3')
  await page.$eval('#flash', (flash) => flash.replaceChildren())
  await page.click('#dispatch-form button[type=submit]')
  const flash = await page.waitForSelector('#flash .flash')
  expect(await flash.textContent()).toContain('as 3 variants')
  const compareHref = (await page.getAttribute('#flash .flash a', 'href')) ?? ''
  expect(compareHref).toMatch(/^\/task-groups\/[0-9a-f-]{36}\/view$/)
  const groupId = compareHref.split('/')[2] ?? ''

  // One roster entry for the group, which lands in review once every variant is there.
  const entry = `#roster .roster-group[data-group="review"] .roster-group-entry[data-group-id="${groupId}"]`
  await page.waitForSelector(entry, { timeout: 30_000 })
  expect(await page.$$eval(`${entry} .roster-item[data-task-id]`, (items) => items.length)).toBe(3)
  expect(
    await page.$$eval(`#roster .roster-item[data-task-title^="Where am I"]`, (items) => items.length),
  ).toBe(3)
  await page.click(`${entry} summary`)
  await page.click(`${entry} a[data-compare-group]`)
  await page.waitForSelector('#compare[data-group-status="settled"]')

  const group = await api(ui.server, 'GET', `/task-groups/${groupId}`)
  const ids: string[] = group.body.variants.map((variant: any) => variant.task_id)
  expect(
    await page.$$eval('#variants thead th[data-variant]', (cells) =>
      cells.map((cell) => cell.getAttribute('data-variant')),
    ),
  ).toEqual(ids)
  // Files as rows: both were changed by every variant, so both are marked.
  expect(
    await page.$$eval('#files-matrix tbody tr', (rows) => rows.map((row) => row.getAttribute('data-path'))),
  ).toEqual(['common.txt', 'where.txt'])
  expect(await page.$$eval('#files-matrix tbody tr.shared', (rows) => rows.length)).toBe(2)
  // The first two variants side by side: only where.txt differs between their results.
  await page.waitForSelector('#diff .d2h-file-wrapper')
  expect(
    await page.$$eval('#diff .d2h-file-name', (names) => names.map((name) => name.textContent?.trim())),
  ).toEqual(['where.txt'])
  expect(await page.textContent('#diff')).toContain(ids[1] as string)

  // Another pair, chosen in the page.
  await page.selectOption('.compare-chooser select[name=b]', ids[2] as string)
  await page.click('.compare-chooser button[type=submit]')
  await page.waitForURL(/b=/)
  expect(await page.textContent('#diff')).toContain(ids[2] as string)

  for (const theme of THEMES) {
    for (const size of Object.values(VIEWPORTS)) {
      await page.setViewportSize(size)
      await page.emulateMedia({ colorScheme: theme })
      expect(await seriousViolations(page)).toEqual([])
    }
  }
  await page.setViewportSize(VIEWPORTS.desktop)

  const pick = `#variants form.pick-form:has(input[value="${ids[1]}"])`
  await page.fill(`${pick} input[name=note]`, 'the second one')
  await page.$eval('#flash', (element) => element.replaceChildren())
  await page.click(`${pick} button[type=submit]`)
  expect(await (await page.waitForSelector('#flash .flash')).textContent()).toContain('Picked #2')
  await page.waitForSelector('#compare[data-group-status="picked"]')
  const worktree = (await api(ui.server, 'GET', `/tasks/${ids[1]}?events=none`)).body.worktree_path
  expect(readFileSync(join(ui.repo, 'where.txt'), 'utf8').trim()).toBe(worktree)
  const after = (await api(ui.server, 'GET', `/task-groups/${groupId}`)).body
  expect(after.pick).toMatchObject({ task_id: ids[1], note: 'the second one' })
  expect(after.variants.map((variant: any) => variant.archived)).toEqual([true, false, true])
  expect(ui.pageErrors).toEqual([])
})
