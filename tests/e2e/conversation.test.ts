import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { claudeAgainst } from '../agents/harness'
import { type ModelServer, startModelServer } from '../support/model-server'
import { tempDir } from '../support/temp'
import { seriousViolations, THEMES, VIEWPORTS } from './axe'
import {
  dispatchShell,
  screenshot,
  startUi,
  taskIdByTitle,
  type UiHarness,
  useWorkspace,
  waitForStatus,
} from './harness'

/**
 * A Claude Code run read and steered from its conversation, at a laptop's and at a phone's size:
 * the real CLI against the scripted model server asks for two tool uses; one is allowed and one
 * denied (with a reason) from the cards where they were asked, the edit shows its own diff, the
 * reply box continues the session, and the change is reviewed and merged. A shell task dispatched
 * from the composer streams and is stopped. Each size gets its own server and repository.
 */

let model: ModelServer
const home = tempDir('openruntime-e2e-home-')

beforeAll(() => {
  model = startModelServer()
})
afterAll(async () => {
  await model?.stop()
  home.cleanup()
})

function startAgentUi(): Promise<UiHarness> {
  return startUi(
    { 'README.md': '# demo\n' },
    {
      HOME: home.path,
      ...claudeAgainst(model),
      OPENRUNTIME_STOP_GRACE_MS: '3000',
    },
  )
}

async function api(ui: UiHarness, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${ui.url}${path}`, {
    method,
    headers: { ...ui.server.auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

const PENDING = '#timeline li[data-state="pending"]'

/** The card of the only pending approval, once it is there. */
async function pendingCard(page: Page, tool: string) {
  const card = await page
    .waitForSelector(`${PENDING} .approval-card:has-text("${tool}")`, { timeout: 60_000 })
    .catch(async (e) => {
      console.log(
        await page.$$eval('#timeline > li', (rows) =>
          rows
            .map((r) => `${(r as HTMLElement).dataset.state ?? ''} ${r.textContent?.slice(0, 200)}`)
            .join('\n'),
        ),
      )
      throw e
    })
  expect(await page.$$(PENDING)).toHaveLength(1)
  return card
}

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  describe(`at ${size} size (${viewport.width}×${viewport.height})`, () => {
    let ui: UiHarness
    beforeAll(async () => {
      ui = await startAgentUi()
    })
    afterAll(() => ui?.close())

    test('a Claude Code run: two tool approvals answered from their cards, the tool card with its result and diff, a reply, review and merge', async () => {
      const { id } = await api(ui, 'POST', '/tasks', {
        title: 'Write then run',
        runner: 'claude-code',
        prompt: 'SCRIPT:write-then-bash notes.txt touch denied.txt',
        workspace: ui.repo,
        policy: { require_approval: true },
      })
      // Another tab watches the roster: a tool call waiting for its answer reaches the user there.
      const roster = await ui.newPage()
      await roster.setViewportSize(viewport)
      await roster.goto(ui.url)
      await roster.waitForSelector(`.roster-item[data-task-id="${id}"]`)
      await api(ui, 'POST', `/tasks/${id}/start`, {})
      await api(ui, 'POST', `/tasks/${id}/approve`, {})
      const page = await ui.newPage()
      await page.setViewportSize(viewport)
      await page.goto(`${ui.url}/tasks/${id}/view`)

      // The first request: the Write, allowed from its card (which carries the approve/deny keys).
      const write = await pendingCard(page, 'Write')
      await roster.waitForSelector(`.roster-item[data-task-id="${id}"][data-attention="approval"]`)
      expect(await roster.title()).toBe('(1) Needs approval: Write then run · openRuntime')
      await roster.close()
      expect(await write.$eval('.approval-allow', (b) => b.getAttribute('data-shortcut'))).toBe('a')
      expect(await write.$eval('.approval-deny', (b) => b.getAttribute('data-shortcut'))).toBe('d')
      await write.$eval('.approval-allow', (b) => (b as HTMLButtonElement).click())
      await page.waitForSelector('#timeline li[data-state="allowed"] .approval-card:has-text("Write")')

      // The second: the command, denied with a reason told to the agent.
      const bash = await pendingCard(page, 'touch denied.txt')
      await (await bash.$('input[name=message]'))?.fill('not today')
      await bash.$eval('.approval-deny', (b) => (b as HTMLButtonElement).click())
      const denied = await page.waitForSelector('#timeline li[data-state="denied"] .approval-card')
      expect(await denied.textContent()).toContain('not today')
      expect(await page.$$('#timeline .approval-form')).toHaveLength(0)

      await waitForStatus(page, 'ready-for-review', 60_000)
      expect(
        readFileSync(
          join((await api(ui, 'GET', `/tasks/${id}?events=none`)).worktree_path, 'notes.txt'),
          'utf8',
        ),
      ).toBe('hello from the scripted model\n')
      const worktree = (await api(ui, 'GET', `/tasks/${id}?events=none`)).worktree_path
      expect(existsSync(join(worktree, 'denied.txt'))).toBe(false)

      // The Write's card: its diff inline and its result inside, both after a reload as when streamed.
      for (const round of ['streamed', 'reloaded']) {
        if (round === 'reloaded') await page.reload()
        const writeCard = await page.waitForSelector(
          '#timeline li.ev-card:has(.tool-name:text-is("Write")) details',
        )
        const added = await writeCard.$$eval('.edit-diff tr:has(.d2h-ins)', (rows) =>
          rows.map((row) => row.textContent ?? ''),
        )
        expect(added.some((row) => row.includes('hello from the scripted model'))).toBe(true)
        expect(await writeCard.$eval('[data-slot="status"]', (s) => s.textContent)).toContain('done')
        expect(await writeCard.$eval('[data-slot="body"]', (s) => s.textContent)).not.toContain(
          'No result yet',
        )
        const bashCard = await page.$('#timeline li.ev-card:has(.tool-name:text-is("Bash")) details')
        expect(await bashCard?.$eval('[data-slot="status"]', (s) => s.textContent)).toContain('failed')
        expect(await page.$$('#timeline li[data-attach]')).toHaveLength(0)
        expect(await page.textContent('#timeline li[data-state="denied"]')).toContain('not today')
      }

      // A finished run takes a follow-up from the reply box; the answer streams in below.
      expect(await page.textContent('#reply-box label')).toContain('Follow up')
      expect(await page.getAttribute('#reply-message', 'data-shortcut')).toBe('r')
      await page.fill('#reply-message', 'thanks')
      await page.press('#reply-message', 'Enter')
      await page.waitForSelector('#timeline .ev-agent >> text=echo: thanks', { timeout: 60_000 })
      await waitForStatus(page, 'ready-for-review', 60_000)
      expect(await page.$('#reply-box #reply-message')).not.toBeNull()

      // The picture shows the allowed edit's card with its diff, not the toast that confirmed the reply.
      await page.$eval('#flash', (flash) => flash.replaceChildren())
      await page.$eval('#timeline li.ev-card:has(.tool-name)', (card) =>
        card.scrollIntoView({ block: 'start' }),
      )
      await screenshot(page, size === 'desktop' ? 'conversation.png' : 'phone-conversation.png', ui.dir)

      // The conversation, its cards and answered approvals included, passes axe in both themes.
      for (const colorScheme of THEMES) {
        await page.emulateMedia({ colorScheme })
        expect(await seriousViolations(page)).toEqual([])
      }

      // Review (the `v` key's link), then merge from the review: the allowed write reaches the repository.
      await page.click('[data-shortcut="v"]')
      await page.waitForURL(`${ui.url}/tasks/${id}/review`)
      const files = await page.waitForSelector('#diff .d2h-file-wrapper')
      expect(await files.textContent()).toContain('notes.txt')
      await page.click('section[aria-labelledby="merge-h"] [data-shortcut="m"]')
      await page.waitForSelector('text=Merged into the workspace.', { timeout: 60_000 })
      expect(readFileSync(join(ui.repo, 'notes.txt'), 'utf8')).toBe('hello from the scripted model\n')
      expect(existsSync(join(ui.repo, 'denied.txt'))).toBe(false)
      expect(ui.pageErrors).toEqual([])
    }, 180_000)

    test('a shell task dispatched from the composer streams and is stopped from its page', async () => {
      const page = await ui.newPage()
      await page.setViewportSize(viewport)
      await page.goto(ui.url)
      await useWorkspace(page, ui.repo)
      await dispatchShell(page, {
        title: 'Count then wait',
        command: 'for i in 1 2 3; do echo "line $i"; done; sleep 600',
      })
      const id = await taskIdByTitle(page, 'Count then wait')
      await page.click(`.roster-item[data-task-id="${id}"]`)
      await page.waitForURL(`${ui.url}/tasks/${id}/view`)
      await page.waitForSelector('#timeline li[data-seq] >> text=line 3')
      await page.click('[data-shortcut="s"]')
      await waitForStatus(page, 'stopped')
      expect((await api(ui, 'GET', `/tasks/${id}?events=none`)).status).toBe('stopped')
      expect(ui.pageErrors).toEqual([])
    }, 60_000)
  })
}
