import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { gitSync } from '../support/git-repo'
import {
  dispatchShell,
  inRosterGroup,
  screenshot,
  startUi,
  taskIdByTitle,
  type UiHarness,
  useWorkspace,
  waitForStatus,
} from './harness'

let ui: UiHarness

beforeAll(async () => {
  ui = await startUi({
    'README.md': '# demo\n',
    'src/greet.ts': "export function greet(name: string): string {\n  return 'hello ' + name\n}\n",
  })
})
afterAll(() => ui?.close())

// Prints in two bursts with a pause between them, so the test can see output arrive while it runs.
const GREETING_TASK = [
  "printf '\\033[1;34m==>\\033[0m building the greeting\\n'",
  "echo 'step 1/2: editing src/greet.ts'",
  "cat > src/greet.ts <<'EOF'",
  '/** Greets someone by name, politely. */',
  'export function greet(name: string, polite = true): string {',
  '  const greeting = polite ? "good morning" : "hello"',
  "  return greeting + ', ' + name",
  '}',
  'EOF',
  'sleep 3',
  "printf 'step 2/2: notes\\n' && echo '- greet() can be polite' > NOTES.md",
  "printf '\\033[32mdone\\033[0m\\n'",
].join('\n')

test('dispatch from the form, stream the output, review the diff, merge, clean up and restore', async () => {
  const dashboard = await ui.newPage()
  await dashboard.goto(ui.url)
  await dashboard.evaluate(() => {
    ;(window as any).__sameDocument = true
  })
  await useWorkspace(dashboard, ui.repo)

  expect(
    await dispatchShell(dashboard, {
      title: 'Run the test suite',
      command: "echo 'FAIL greet.test.ts' >&2; exit 1",
    }),
  ).toContain('Started')
  expect(
    await dispatchShell(dashboard, { title: 'Make the greeting polite', command: GREETING_TASK }),
  ).toContain('Started')
  const id = await taskIdByTitle(dashboard, 'Make the greeting polite')
  const failing = await taskIdByTitle(dashboard, 'Run the test suite')
  // Both entries move into their groups as their state changes, without a reload.
  await dashboard.waitForSelector(inRosterGroup('running', id))
  await dashboard.waitForSelector(inRosterGroup('failed', failing))
  await screenshot(dashboard, 'dashboard.png', ui.dir)

  const task = await ui.newPage()
  await task.goto(`${ui.url}/tasks/${id}/view`)
  await task.evaluate(() => {
    ;(window as any).__sameDocument = true
  })
  await task.waitForSelector('#timeline .ev-out >> text=step 1/2: editing src/greet.ts')
  expect(await task.getAttribute('#task-summary', 'data-task-status')).toBe('running')
  // ANSI colours arrive as styled spans, not as escape codes.
  expect(await task.textContent('#timeline')).not.toContain('\x1b')
  expect(await task.$$eval('#timeline .ansi-blue-fg', (spans) => spans.length)).toBeGreaterThan(0)
  const rowsWhileRunning = await task.$$eval('#timeline > li[data-seq]', (rows) => rows.length)
  await screenshot(task, 'timeline.png', ui.dir)

  await waitForStatus(task, 'ready-for-review')
  await task.waitForSelector('#timeline .ev-out >> text=done')
  expect(await task.$$eval('#timeline > li[data-seq]', (rows) => rows.length)).toBeGreaterThan(
    rowsWhileRunning,
  )
  const seqs = await task.$$eval('#timeline > li[data-seq]', (rows) =>
    rows.map((row) => Number((row as HTMLElement).dataset.seq)),
  )
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b))
  expect(await task.evaluate(() => (window as any).__sameDocument)).toBe(true)

  await dashboard.waitForSelector(inRosterGroup('review', id))
  expect(await dashboard.evaluate(() => (window as any).__sameDocument)).toBe(true)

  // At a phone's width: the roster is the first screen, a task shows alone with the way back,
  // and the review's diff is unified.
  const phone = await ui.newPage()
  await phone.setViewportSize({ width: 390, height: 844 })
  await phone.goto(ui.url)
  await phone.waitForSelector(inRosterGroup('review', id))
  expect(await phone.$eval('#roster', (roster) => roster.getBoundingClientRect().top)).toBeLessThan(120)
  await screenshot(phone, 'phone-roster.png', ui.dir)
  await phone.click(inRosterGroup('review', id))
  await phone.waitForURL(`${ui.url}/tasks/${id}/view`)
  expect(await phone.isVisible('#roster')).toBe(false)
  expect(await phone.isVisible('#task-pane .back-to-roster')).toBe(true)
  expect(await phone.getAttribute(`#roster .roster-item[data-task-id="${id}"]`, 'aria-current')).toBe('page')
  await phone.waitForSelector('#timeline .ev-out >> text=done')
  await screenshot(phone, 'phone-task.png', ui.dir)
  await phone.click('#task-summary a:has-text("Review changes")')
  await phone.waitForURL(/layout=line-by-line/)
  await phone.waitForSelector('#diff .d2h-file-diff')
  expect(await phone.$('#diff .d2h-file-side-diff')).toBeNull()
  await phone.click('#task-pane .back-to-roster')
  await phone.waitForSelector(inRosterGroup('review', id))
  await phone.close()

  await task.click('#task-summary a:has-text("Review changes")')
  await task.waitForSelector('#diff .d2h-file-wrapper')
  const files = await task.$$eval('table.files tbody tr', (rows) => rows.map((row) => row.textContent ?? ''))
  expect(files.some((row) => row.includes('src/greet.ts') && row.includes('+4') && row.includes('−2'))).toBe(
    true,
  )
  expect(files.some((row) => row.includes('NOTES.md') && row.includes('added'))).toBe(true)
  // Syntax colours come from highlight.js over the escaped lines.
  await task.waitForSelector('#diff .d2h-code-line-ctn.hljs .hljs-keyword')
  await screenshot(task, 'review.png', ui.dir)

  await task.click('#review a:has-text("Unified")')
  await task.waitForSelector('#diff .d2h-file-diff')
  expect(await task.$('#diff .d2h-file-side-diff')).toBeNull()

  await task.selectOption('#review select[name=strategy]', 'commit')
  await task.click('#review button:has-text("Merge")')
  await task.waitForSelector('#flash .flash-ok >> text=Merged')
  await task.waitForSelector('#review .badge-completed')
  expect(readFileSync(`${ui.repo}/src/greet.ts`, 'utf8')).toContain('polite = true')
  expect(gitSync(ui.repo, 'log', '--format=%s', '-1').trim()).toBe('Make the greeting polite')

  const worktree = `${ui.repo}/.openruntime/worktrees/${id}`
  expect(existsSync(worktree)).toBe(true)
  await task.click('#review button:has-text("Clean up worktree")')
  await task.waitForSelector('#flash .flash-ok >> text=archive')
  expect(existsSync(worktree)).toBe(false)
  await task.click('#review button:has-text("Restore worktree")')
  await task.waitForSelector('#flash .flash-ok >> text=restored')
  expect(existsSync(`${worktree}/NOTES.md`)).toBe(true)
  expect(ui.pageErrors).toEqual([])
})
