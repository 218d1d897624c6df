import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import {
  dispatchShell,
  inRosterGroup,
  startUi,
  taskIdByTitle,
  type UiHarness,
  useWorkspace,
  waitForStatus,
} from './harness'

let ui: UiHarness
let dashboard: Page

beforeAll(async () => {
  ui = await startUi()
  dashboard = await ui.newPage()
  await dashboard.goto(ui.url)
  await useWorkspace(dashboard, ui.repo)
})
afterAll(() => ui?.close())

const PAYLOAD = '<img src=x onerror=window.__xss=1>'
const xssFired = (page: Page) => page.evaluate(() => (window as any).__xss)

/** Controls without an accessible name: an enclosing label, aria-label, or a label whose `for` names the control's (unique) id. */
const unlabelled = (page: Page) =>
  page.$$eval('input:not([type=hidden]), select, textarea', (controls) =>
    controls
      .filter((control) => {
        if (control.closest('label') || control.getAttribute('aria-label')) return false
        if (!control.id || document.querySelectorAll(`[id="${CSS.escape(control.id)}"]`).length !== 1)
          return true
        return document.querySelector(`label[for="${CSS.escape(control.id)}"]`) === null
      })
      .map((control) => control.outerHTML.slice(0, 80)),
  )

describe('the browser UI', () => {
  test('a gated task waits for approval, tells the user, and runs once approved', async () => {
    await dashboard.click('#notify-enable')
    await dashboard.waitForSelector('#notify-enable', { state: 'hidden' })

    const flash = await dispatchShell(dashboard, {
      title: 'Deploy the docs',
      command: 'echo deploying the docs',
      preset: 'auto-review',
    })
    expect(flash).toContain('waits for your approval')
    const id = await taskIdByTitle(dashboard, 'Deploy the docs')
    await dashboard.waitForSelector(`${inRosterGroup('needs-you', id)} .badge`)
    await dashboard.waitForFunction(() => document.title.startsWith('(1) Needs approval: Deploy the docs'))
    expect(await dashboard.evaluate(() => (window as any).__notifications)).toContainEqual(
      expect.objectContaining({ title: 'Needs approval: Deploy the docs' }),
    )

    const task = await ui.newPage()
    await task.goto(`${ui.url}/tasks/${id}/view`)
    const buttons = await task.$$eval('#task-summary .actions button', (all) =>
      all.map((b) => b.textContent?.trim()),
    )
    expect(buttons).toContain('Approve and run')
    expect(buttons).not.toContain('Merge')
    expect(buttons).not.toContain('Restart')
    await task.click('#task-summary button:has-text("Approve and run")')
    await waitForStatus(task, 'completed')
    await task.waitForSelector('#timeline .ev-out >> text=deploying the docs')
    const after = await task.$$eval('#task-summary .actions button', (all) =>
      all.map((b) => b.textContent?.trim()),
    )
    expect(after).not.toContain('Approve and run')
    expect(after).toContain('Restart')
    await task.close()
  })

  test('a shell prompt is answered from the page, by keyboard', async () => {
    await dispatchShell(dashboard, {
      title: 'Ask for a name',
      command: 'printf "Name? "; read n; echo "hi $n"',
    })
    await dashboard.click('#flash a:has-text("Open it")')
    await waitForStatus(dashboard, 'needs-input')
    await dashboard.waitForSelector('#timeline .ev-out >> text=Name?')
    await dashboard.focus('#reply-message')
    await dashboard.keyboard.type('Ada')
    await dashboard.keyboard.press('Enter')
    await dashboard.waitForSelector('#timeline .ev-out >> text=hi Ada')
    await waitForStatus(dashboard, 'completed')
    expect(await dashboard.textContent('#timeline')).toContain('User reply: Ada')
    await dashboard.goto(ui.url)
  })

  test('an XSS payload in a title, output and a file name renders as text and never runs', async () => {
    const title = `XSS ${PAYLOAD}`
    const command = [
      `echo '<script>window.__xss=2</script>${PAYLOAD}'`,
      `echo '${PAYLOAD}' > '${PAYLOAD}.txt'`,
    ].join('\n')
    await dispatchShell(dashboard, { title, command })
    const id = await taskIdByTitle(dashboard, title)
    expect(await dashboard.textContent(`.roster-item[data-task-id="${id}"] .roster-title`)).toBe(title)
    expect(await dashboard.$$('#task-list img, #flash img')).toHaveLength(0)

    const task = await ui.newPage()
    await task.goto(`${ui.url}/tasks/${id}/view`)
    await waitForStatus(task, 'ready-for-review')
    expect(await task.textContent('#task-title')).toBe(title)
    expect(await task.title()).toContain(PAYLOAD)
    await task.waitForSelector(`#timeline .ev-out >> text=${PAYLOAD}`)
    expect(await task.textContent('#timeline')).toContain('<script>window.__xss=2</script>')
    expect(await task.$$('#timeline img, #timeline script, #task-summary img')).toHaveLength(0)

    await task.goto(`${ui.url}/tasks/${id}/review`)
    await task.waitForSelector('#diff .d2h-file-wrapper')
    expect(await task.textContent('table.files')).toContain(`${PAYLOAD}.txt`)
    expect(await task.textContent('#diff')).toContain(PAYLOAD)
    expect(await task.$$('#review img')).toHaveLength(0)
    expect(await xssFired(task)).toBeUndefined()
    expect(await xssFired(dashboard)).toBeUndefined()
    await task.close()
  })

  test('errors from the API appear as readable messages in place, and every control has a label', async () => {
    await dashboard.fill('#register-path', '/no/such/folder')
    await dashboard.press('#register-path', 'Enter')
    const error = await dashboard.waitForSelector('#flash .flash-error[role=alert]')
    expect(await error.textContent()).toContain('/no/such/folder')
    expect(await dashboard.$('#workspaces')).not.toBeNull()

    await dashboard.selectOption('#d-runner', 'shell')
    await dashboard.fill('#d-title', 'No command')
    await dashboard.click('#dispatch-form button[type=submit]')
    await dashboard.waitForSelector('#flash .flash-error >> text=command is required for the shell runner')

    expect(await unlabelled(dashboard)).toEqual([])
    // A task waiting for an answer shows every control a task page has for a live run.
    await dispatchShell(dashboard, { title: 'Ask a name', command: 'read -p "Name? " name; echo "hi $name"' })
    const id = await taskIdByTitle(dashboard, 'Ask a name')
    const task = await ui.newPage()
    await task.goto(`${ui.url}/tasks/${id}/view`)
    await task.waitForSelector('#task-summary[data-task-state="needs-input.prompt"]')
    await task.waitForSelector('#reply-box #reply-message')
    expect(await unlabelled(task)).toEqual([])
    await task.fill('#reply-message', 'Ada')
    await task.press('#reply-message', 'Enter')
    await task.waitForSelector('#task-summary[data-task-status="completed"]')
    expect(await unlabelled(task)).toEqual([])
    await task.close()
  })

  test('the folder browser and discovered repositories choose the workspace; filters narrow the list', async () => {
    await dashboard.click('details.browser summary')
    const shown = await dashboard.waitForSelector('.browser-body .folders code')
    const start = (await shown.textContent()) ?? ''
    await dashboard.click('.browser-body button:has-text("Up to parent")')
    await dashboard.waitForFunction(
      (before) => document.querySelector('.browser-body .folders code')?.textContent !== before,
      start,
    )
    expect(start.startsWith((await dashboard.textContent('.browser-body .folders code')) ?? '-')).toBe(true)

    // Switch away first, so choosing the discovered repository visibly switches back.
    const other = await dashboard.$eval(
      '#workspace-select',
      (select, repo) =>
        Array.from((select as HTMLSelectElement).options).find((option) => option.value !== repo)?.value,
      ui.repo,
    )
    await dashboard.selectOption('#workspace-select', other ?? '')
    await dashboard.waitForSelector(`#flash >> text=New tasks run in ${other}`)
    await dashboard.click('details.discovered summary')
    await dashboard.click(`.discovered-body button:has-text("repo")`)
    await dashboard.waitForFunction(
      (wanted) => (document.getElementById('workspace-select') as HTMLSelectElement).value === wanted,
      ui.repo,
    )

    await dispatchShell(dashboard, { title: 'Filter me', command: 'echo filtered' })
    const id = await taskIdByTitle(dashboard, 'Filter me')
    await dashboard.waitForSelector(`.roster-item[data-task-id="${id}"][data-task-status="completed"]`)
    await dashboard.click('.roster-filters summary')
    await dashboard.selectOption('#filters select[name=status]', 'completed')
    await dashboard.waitForFunction(() =>
      Array.from(document.querySelectorAll('#task-list .roster-item')).every(
        (row) => (row as HTMLElement).dataset.taskStatus === 'completed',
      ),
    )
    expect(await dashboard.$(`.roster-item[data-task-id="${id}"]`)).not.toBeNull()
    await dashboard.selectOption('#filters select[name=runner]', 'codex')
    await dashboard.waitForSelector('#task-list >> text=No tasks match these filters.')
    await dashboard.selectOption('#filters select[name=runner]', '')
    await dashboard.selectOption('#filters select[name=status]', '')
    await dashboard.waitForSelector(`#task-list .roster-item:not([data-task-status="completed"])`)
  })

  test('a long timeline opens with its newest events and loads older ones on demand', async () => {
    await dispatchShell(dashboard, { title: 'Count to 450', command: 'seq 1 450' })
    const id = await taskIdByTitle(dashboard, 'Count to 450')
    const task = await ui.newPage()
    await task.goto(`${ui.url}/tasks/${id}/view`)
    await waitForStatus(task, 'completed')
    await task.reload()
    const firstSeq = () =>
      task.$eval('#timeline > li[data-seq]', (row) => Number((row as HTMLElement).dataset.seq))
    const rows = () => task.$$eval('#timeline > li[data-seq]', (all) => all.length)
    expect(await rows()).toBe(200)
    const newestFirst = await firstSeq()
    await task.click('#older-events button')
    await task.waitForFunction((before) => {
      const row = document.querySelector('#timeline > li[data-seq]') as HTMLElement | null
      return row !== null && Number(row.dataset.seq) < before
    }, newestFirst)
    expect(await rows()).toBe(400)
    expect(await firstSeq()).toBe(newestFirst - 200)
    while (await task.$('#older-events button')) {
      const before = await firstSeq()
      await task.click('#older-events button')
      await task.waitForFunction(
        (seq) =>
          Number((document.querySelector('#timeline > li[data-seq]') as HTMLElement).dataset.seq) < seq,
        before,
      )
    }
    expect(await firstSeq()).toBe(1)
    expect(await task.textContent('#older-events')).toContain('Start of the timeline')
    const seqs = await task.$$eval('#timeline > li[data-seq]', (all) =>
      all.map((row) => Number((row as HTMLElement).dataset.seq)),
    )
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1))
    await task.close()
    expect(ui.pageErrors).toEqual([])
  })

  test('a fast stream is followed live and the page keeps a bounded number of rows', async () => {
    const created = await fetch(`${ui.url}/tasks`, {
      method: 'POST',
      headers: { ...ui.server.auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Flood',
        prompt: '',
        runner: 'shell',
        command: 'seq 1 6000',
        workspace: ui.repo,
      }),
    })
    const { id } = (await created.json()) as { id: string }
    const task = await ui.newPage()
    await task.goto(`${ui.url}/tasks/${id}/view`)
    await task.click('#task-summary button:has-text("Start")')
    await waitForStatus(task, 'completed')
    const { last_seq: last } = (await (
      await fetch(`${ui.url}/tasks/${id}?events=none`, { headers: ui.server.auth })
    ).json()) as {
      last_seq: number
    }
    await task.waitForFunction(
      (seq) =>
        (document.querySelector('#timeline > li[data-seq]:last-child') as HTMLElement | null)?.dataset.seq ===
        String(seq),
      last,
      { timeout: 30_000 },
    )
    const rows = await task.$$eval('#timeline > li[data-seq]', (all) =>
      all.map((row) => Number((row as HTMLElement).dataset.seq)),
    )
    expect(rows.length).toBeLessThanOrEqual(3000)
    expect(rows).toEqual(Array.from({ length: rows.length }, (_, i) => last - rows.length + 1 + i))
    // Followed to the end: the newest row is in view.
    expect(
      await task.$eval('#timeline', (box) => box.scrollHeight - box.scrollTop - box.clientHeight),
    ).toBeLessThan(48)
    await task.click('#older-events button')
    await task.waitForFunction(
      (count) => document.querySelectorAll('#timeline > li[data-seq]').length > count,
      rows.length,
    )
    await task.close()
  })
})
