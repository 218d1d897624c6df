import { afterAll, beforeAll, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync } from '../support/git-repo'
import { dispatchShell, startUi, taskIdByTitle, type UiHarness, useWorkspace, waitForStatus } from './harness'

let ui: UiHarness

beforeAll(async () => {
  ui = await startUi({ 'a.txt': 'one\ntwo\nthree\n' })
})
afterAll(() => ui?.close())

test('the review: comment on a line picked in the diff, update from the moved base, push', async () => {
  const page = await ui.newPage()
  await page.goto(ui.url)
  await useWorkspace(page, ui.repo)
  expect(
    await dispatchShell(page, {
      title: 'Shout two',
      command: "printf 'one\\nTWO <b>loud</b>\\nthree\\n' > a.txt",
    }),
  ).toContain('Started')
  const id = await taskIdByTitle(page, 'Shout two')
  await page.goto(`${ui.url}/tasks/${id}/view`)
  await waitForStatus(page, 'ready-for-review')
  await page.goto(`${ui.url}/tasks/${id}/review`)
  await page.waitForSelector('#diff .d2h-file-wrapper')

  // Line 2 of the new side (the right-hand column): the form is filled from the click.
  await page.click('#diff .d2h-file-side-diff >> nth=1 >> td.d2h-code-side-linenumber >> text="2"')
  expect(await page.inputValue('#comment-line')).toBe('2')
  expect(await page.inputValue('#comment-side')).toBe('new')
  expect(await page.inputValue('#comment-path')).toBe('a.txt')
  await page.fill('#comment-body', 'Too loud <img src=x onerror="window.__pwned=1">')
  await page.click('#comment-form button:has-text("Add comment")')
  await page.waitForSelector('#comments .comment[data-comment-state=open]')
  expect(await page.textContent('#comments .comment-body')).toBe(
    'Too loud <img src=x onerror="window.__pwned=1">',
  )
  expect(await page.textContent('#comments .comment-context .commented')).toContain('TWO <b>loud</b>')
  expect(await page.$('#comments img')).toBeNull()
  expect(await page.evaluate(() => (window as any).__pwned ?? null)).toBeNull()

  // The target moves: the review says so, and the update brings it in.
  writeFileSync(join(ui.repo, 'b.txt'), 'b\n')
  gitSync(ui.repo, 'add', 'b.txt')
  gitSync(ui.repo, 'commit', '-qm', 'target: b')
  await page.reload()
  await page.waitForSelector('#base[data-behind="1"]')
  expect(await page.textContent('#base')).toContain('main has 1 new commit')
  await page.click('#base button:has-text("Update from base")')
  await page.waitForSelector('#base[data-behind="0"]')
  expect(await page.textContent('#base')).toContain('Up to date with main')

  const remote = join(ui.dir, 'remote.git')
  gitSync(ui.dir, 'init', '-q', '--bare', remote)
  gitSync(ui.repo, 'remote', 'add', 'origin', remote)
  await page.fill('#publish input[name=branch]', 'review/shout')
  await page.click('#publish button:has-text("Push")')
  await page.waitForSelector('#flash .flash-ok >> text=Pushed')
  expect(gitSync(ui.dir, `--git-dir=${remote}`, 'show', 'review/shout:a.txt')).toBe(
    'one\nTWO <b>loud</b>\nthree\n',
  )
  expect(gitSync(ui.dir, `--git-dir=${remote}`, 'show', 'review/shout:b.txt')).toBe('b\n')
  expect(ui.pageErrors).toEqual([])
})
