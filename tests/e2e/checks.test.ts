import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { seriousViolations, THEMES } from './axe'
import { startUi, type UiHarness } from './harness'

let ui: UiHarness

beforeAll(async () => {
  ui = await startUi({ 'README.md': '# demo\n' })
})
afterAll(() => ui?.close())

test('check verdicts in the roster and on the review page; the gate refuses the merge, a forced one with a reason goes through', async () => {
  const page = await ui.newPage()
  await page.goto(ui.url)
  const repo = ui.repo
  // Created and started through the API from the server's own page, as a client of it would.
  const id = await page.evaluate(async (workspace) => {
    const post = (path: string, body?: unknown) =>
      fetch(path, {
        method: 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((response) => response.json())
    const task = await post('/tasks', {
      title: 'Gated change',
      prompt: '',
      runner: 'shell',
      command: 'echo gated > gated.txt',
      workspace,
      policy: { require_checks: true },
      checks: [
        { name: 'unit', command: 'echo "1 test failed" >&2; exit 1' },
        { name: 'types', command: 'true' },
      ],
    })
    await post(`/tasks/${task.id}/start`)
    return task.id as string
  }, repo)

  const chip = `#roster [data-task-id="${id}"] .check-chip[data-checks="failed"]`
  await page.waitForSelector(chip)
  expect(await page.textContent(chip)).toBe('checks 1/2')

  await page.goto(`${ui.url}/tasks/${id}/review`)
  await page.waitForSelector('#review[data-task-status="ready-for-review"]')
  await page.waitForSelector('#checks tr[data-check="unit"][data-verdict="failed"]')
  expect(await page.textContent('#checks tr[data-check="types"] .verdict')).toBe('passed')
  await page.click('#checks tr[data-check="unit"] summary')
  expect(await page.textContent('#checks tr[data-check="unit"] pre')).toBe('1 test failed')
  // The checks panel and the forced merge's form pass axe-core in both themes.
  await page.click('.force-merge summary')
  for (const theme of THEMES) {
    await page.emulateMedia({ colorScheme: theme })
    expect(await seriousViolations(page)).toEqual([])
  }
  await page.click('.force-merge summary')

  await page.click('#review button[data-shortcut="m"]')
  await page.waitForSelector('#flash >> text=unit (failed)')
  expect(existsSync(join(repo, 'gated.txt'))).toBe(false)

  await page.click('.force-merge summary')
  await page.fill('.force-merge input[name="reason"]', 'flaky unit suite')
  await page.click('.force-merge button')
  await page.waitForSelector('#flash >> text=Merged')
  expect(existsSync(join(repo, 'gated.txt'))).toBe(true)
  expect(ui.pageErrors).toEqual([])
})
