import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { pageRoutes } from '../../src/routes/pages'
import { claudeAgainst } from '../agents/harness'
import { makeRepo } from '../support/git-repo'
import { type ModelServer, startModelServer } from '../support/model-server'
import { api, type ServerProcess, serverRefusal, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'
import { inRosterGroup, launchChromium, waitForStatus } from './harness'

/**
 * Issue 13, item 4: a phone is enough. The server listens beyond loopback; a phone-sized Chromium
 * driven by touch alone reaches it through this machine's network address, signs in by pasting
 * the token the server printed, and from there unblocks a Claude Code run (the real CLI against
 * the scripted model server): one tool use allowed and one denied from their cards, the diff read,
 * a reply sent, and a shell run stopped. Without the token nothing but the sign-in page answers.
 */

const PHONE = { width: 390, height: 844 }
/** The smallest touch target a finger hits reliably (WCAG 2.5.5, Apple's and Google's guidelines). */
const TOUCH = 44
const DUMMY_LINK = 'ortphone0'
/** 198.18.0.0/15 is reserved for benchmarking networks: no host anywhere answers to it. */
const DUMMY_ADDRESS = '198.18.0.1'

type Network = { address: string; remove(): void } | { skip: string }

/** An IPv4 address of this machine that is not loopback, so the browser comes in as a phone on the LAN would. */
function networkAddress(): Network {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((nic) => nic !== undefined && nic.family === 'IPv4' && !nic.internal)
  if (found) return { address: found.address, remove: () => undefined }
  // A host with loopback alone (a bare container) gets an address of its own on a dummy link, which
  // carries traffic to nowhere but this machine; it is removed after the tests.
  if (process.getuid?.() !== 0 || !Bun.which('ip'))
    return { skip: 'this host has no non-loopback IPv4 address, and only root with `ip` could add one' }
  const ip = (...args: string[]) => {
    const result = Bun.spawnSync(['ip', ...args], { stderr: 'pipe' })
    return result.exitCode === 0 ? null : result.stderr.toString().trim()
  }
  const failed =
    ip('link', 'add', DUMMY_LINK, 'type', 'dummy') ??
    ip('addr', 'add', `${DUMMY_ADDRESS}/32`, 'dev', DUMMY_LINK) ??
    ip('link', 'set', DUMMY_LINK, 'up')
  const remove = () => void ip('link', 'del', DUMMY_LINK)
  if (failed === null) return { address: DUMMY_ADDRESS, remove }
  remove()
  return {
    skip: `this host has no non-loopback IPv4 address, and adding a dummy interface failed: ${failed}`,
  }
}

const network = networkAddress()
if ('skip' in network) console.warn(`phone-remote tests skipped: ${network.skip}`)

describe.skipIf('skip' in network)('a phone on the network, over the token login', () => {
  const address = 'address' in network ? network.address : ''
  const temp = tempDir('openruntime-e2e-phone-')
  const home = tempDir('openruntime-e2e-home-')
  const repo = makeRepo(join(temp.path, 'repo'), { 'README.md': '# demo\n' })
  let model: ModelServer
  let server: ServerProcess
  /** The server as the phone addresses it: this machine's network address, not 0.0.0.0. */
  let remote: Pick<ServerProcess, 'url' | 'auth'>
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let agentTask: string
  const pageErrors: string[] = []
  /** Requests the browser tried to send anywhere but this server (aborted). */
  const outside: string[] = []
  /** Controls the phone user tapped that are smaller than a finger. */
  const tooSmall: string[] = []

  beforeAll(async () => {
    model = startModelServer()
    server = await spawnServer({
      HOST: '0.0.0.0',
      HOME: home.path,
      ...claudeAgainst(model),
      OPENRUNTIME_DB: join(temp.path, 'data', 'openruntime.sqlite3'),
      OPENRUNTIME_PARTIAL_LINE_MS: '150',
      OPENRUNTIME_DISCOVERY_ROOTS: temp.path,
      OPENRUNTIME_STOP_GRACE_MS: '3000',
    })
    remote = { url: `http://${address}:${new URL(server.url).port}`, auth: server.auth }
    browser = await launchChromium()
    context = await browser.newContext({
      viewport: PHONE,
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 3,
    })
    context.setDefaultTimeout(15_000)
    const own = new URL(remote.url).host
    await context.route(
      (url) => url.host !== own,
      (route) => {
        outside.push(route.request().url())
        return route.abort()
      },
    )
    page = await context.newPage()
    page.on('dialog', (dialog) => void dialog.accept())
    page.on('pageerror', (error) => pageErrors.push(error.message))
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await server?.kill('SIGTERM')
    await model?.stop()
    if ('remove' in network) network.remove()
    temp.cleanup()
    home.cleanup()
  })

  /** Taps the control after checking a finger can hit it. */
  async function tap(control: Locator, name: string): Promise<void> {
    await control.waitFor()
    const box = await control.boundingBox()
    if (!box || box.width < TOUCH || box.height < TOUCH)
      tooSmall.push(`${name}: ${box ? `${Math.round(box.width)}×${Math.round(box.height)}` : 'no box'}`)
    await control.tap()
  }

  /** The page fits the phone's width: nothing pushes it sideways. */
  const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth)

  /** The one pending approval card asking about `tool`, once it is there. */
  async function pendingCard(tool: string): Promise<Locator> {
    const card = page.locator('#timeline li[data-state="pending"] .approval-card', { hasText: tool })
    await card.waitFor({ timeout: 60_000 })
    expect(await page.locator('#timeline li[data-state="pending"]').count()).toBe(1)
    return card
  }

  test('OPENRUNTIME_AUTH=none is refused at start on a network address', async () => {
    for (const host of [address, '0.0.0.0']) {
      const refusal = await serverRefusal({
        HOST: host,
        OPENRUNTIME_AUTH: 'none',
        OPENRUNTIME_DB: join(temp.path, 'refused', 'openruntime.sqlite3'),
      })
      expect(refusal.code).toBe(1)
      expect(refusal.output).toContain(`refusing to listen on ${host} with OPENRUNTIME_AUTH=none`)
    }
  })

  test('without the token every page and /ui/ fragment is refused, and nothing is done', async () => {
    const created = await api(remote, 'POST', '/tasks', {
      title: 'Write then run',
      runner: 'claude-code',
      prompt: 'SCRIPT:write-then-bash notes.txt touch denied.txt',
      workspace: repo,
      policy: { require_approval: true },
    })
    expect(created.status).toBe(200)
    agentTask = created.body.id
    expect((await api(remote, 'POST', `/tasks/${agentTask}/start`, {})).status).toBe(200)
    expect((await api(remote, 'POST', `/tasks/${agentTask}/approve`, {})).status).toBe(200)
    const approval = await waitFor(
      'the Write to wait for an approval',
      async () =>
        (await api(remote, 'GET', `/tasks/${agentTask}/approvals`)).body.find(
          (a: { status: string }) => a.status === 'pending',
        ),
      60_000,
    )

    const before = (await api(remote, 'GET', `/tasks/${agentTask}?events=none`)).body.state

    // Every route of the browser UI, with real ids: the pending approval and its task are the targets.
    const routes = pageRoutes({} as never, {} as never).routes
    expect(routes.filter((route) => route.path.startsWith('/ui/')).length).toBeGreaterThan(5)
    const concrete = (path: string) =>
      path
        .replace(':id', agentTask)
        .replace(':approval', approval.id)
        .replace(':action', 'stop')
        .replace(':file', 'app.css')
    const answered: string[] = []
    for (const route of routes) {
      const url = `${remote.url}${concrete(route.path)}`
      const post = route.method === 'POST'
      for (const [as, headers] of [
        ['a page', { accept: 'text/html' }],
        ['a fragment', { accept: 'text/html', 'hx-request': 'true' }],
        ['a wrong cookie', { accept: 'text/html', cookie: 'openruntime_token=guessed' }],
      ] as const) {
        const response = await fetch(url, {
          method: route.method,
          redirect: 'manual',
          headers: {
            ...headers,
            // As the server's own page would send it: the refusal is for want of the token alone.
            ...(post ? { origin: remote.url, 'content-type': 'application/x-www-form-urlencoded' } : {}),
          },
          body: post ? 'allow=true&message=' : undefined,
        })
        const refused =
          response.status === 401 ||
          (response.status === 303 && response.headers.get('location') === '/login')
        if (!refused) answered.push(`${route.method} ${route.path} as ${as}: ${response.status}`)
        await response.body?.cancel()
      }
    }
    expect(answered).toEqual([])
    const after = await api(remote, 'GET', `/tasks/${agentTask}/approvals`)
    expect(after.body.find((a: { id: string }) => a.id === approval.id).status).toBe('pending')
    expect(before).toBe('needs-input.prompt')
    expect((await api(remote, 'GET', `/tasks/${agentTask}?events=none`)).body.state).toBe(before)
  })

  test('signing in by pasting the printed token lands on the roster, the first screen', async () => {
    await page.goto(`${remote.url}/`)
    expect(new URL(page.url()).pathname).toBe('/login')
    await tap(page.locator('#token'), 'the token field')
    await page.keyboard.insertText(server.token ?? '')
    await tap(page.getByRole('button', { name: 'Sign in' }), 'Sign in')
    await page.waitForURL(`${remote.url}/`)

    const entry = page.locator(inRosterGroup('needs-you', agentTask))
    await entry.waitFor()
    const roster = await page.locator('#roster').boundingBox()
    const main = await page.locator('#main').boundingBox()
    const item = await entry.boundingBox()
    // One column: the roster spans the width at the top; the rest of the page comes below it.
    expect(roster?.x).toBe(0)
    expect(roster?.width).toBe(PHONE.width)
    expect(main?.y).toBeGreaterThanOrEqual((roster?.y ?? 0) + (roster?.height ?? 0))
    expect((item?.y ?? PHONE.height) + (item?.height ?? 0)).toBeLessThanOrEqual(PHONE.height)
    expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width)
  })

  test('one tool use allowed and one denied with a reason, from their cards, by touch', async () => {
    await tap(page.locator(inRosterGroup('needs-you', agentTask)), 'the roster entry')
    await page.waitForURL(`${remote.url}/tasks/${agentTask}/view`)
    expect(await page.locator('#roster').isVisible()).toBe(false)
    expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width)

    const write = await pendingCard('Write')
    await tap(write.locator('.approval-allow'), 'Allow')
    await page.locator('#timeline li[data-state="allowed"] .approval-card', { hasText: 'Write' }).waitFor()

    const bash = await pendingCard('touch denied.txt')
    await tap(bash.locator('input[name=message]'), 'the reason field')
    await page.keyboard.type('not from my phone')
    await tap(bash.locator('.approval-deny'), 'Deny')
    const denied = page.locator('#timeline li[data-state="denied"] .approval-card')
    await denied.waitFor()
    expect(await denied.textContent()).toContain('not from my phone')
    await waitForStatus(page, 'ready-for-review', 60_000)
    expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width)
  }, 120_000)

  test('the diff reads unified within the phone, and back to the task', async () => {
    await tap(page.locator('[data-shortcut="v"]'), 'Review changes')
    await page.waitForURL(`${remote.url}/tasks/${agentTask}/review?layout=line-by-line`)
    const file = page.locator('#diff .d2h-file-name', { hasText: 'notes.txt' })
    const added = page.locator('#diff .d2h-ins .d2h-code-line-ctn', {
      hasText: 'hello from the scripted model',
    })
    for (const [what, locator] of [
      ['the file name', file],
      ['the added line', added],
    ] as const) {
      await locator.waitFor()
      const box = await locator.boundingBox()
      const inside = box !== null && box.x >= 0 && box.x + box.width <= PHONE.width
      const where = box ? `at x ${Math.round(box.x)}..${Math.round(box.x + box.width)}` : 'not shown'
      expect(`${what} ${inside ? 'inside the viewport' : where}`).toBe(`${what} inside the viewport`)
    }
    expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width)
    await tap(page.getByRole('link', { name: 'Back to the task' }), 'Back to the task')
    await page.waitForURL(`${remote.url}/tasks/${agentTask}/view`)
  })

  test('a follow-up typed into the reply box and sent streams its answer in', async () => {
    await tap(page.locator('#reply-message'), 'the reply field')
    await page.keyboard.type('thanks from my phone')
    await tap(page.locator('#reply-box button[type=submit]'), 'Send')
    await page.locator('#timeline .ev-agent', { hasText: 'echo: thanks from my phone' }).waitFor({
      timeout: 60_000,
    })
    await waitForStatus(page, 'ready-for-review', 60_000)
    expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width)
  }, 90_000)

  test('a long shell run found in the roster and stopped with a tap', async () => {
    const created = await api(remote, 'POST', '/tasks', {
      title: 'Count then wait',
      prompt: '',
      runner: 'shell',
      command: 'for i in 1 2 3; do echo line $i; done; sleep 600',
      workspace: repo,
    })
    expect(created.status).toBe(200)
    const shell: string = created.body.id
    expect((await api(remote, 'POST', `/tasks/${shell}/start`)).status).toBe(200)

    await tap(page.locator('.back-to-roster'), 'All tasks')
    await page.waitForURL(`${remote.url}/`)
    await tap(page.locator(inRosterGroup('running', shell)), 'the running entry')
    await page.waitForURL(`${remote.url}/tasks/${shell}/view`)
    await page.locator('#timeline li[data-seq]', { hasText: 'line 3' }).waitFor()
    await tap(page.locator('[data-shortcut="s"]'), 'Stop')
    await waitForStatus(page, 'stopped')
    const message = page.locator('#flash .flash', { hasText: 'Stop' })
    await tap(message.locator('.flash-close'), 'Dismiss')
    await message.waitFor({ state: 'detached' })
    expect((await api(remote, 'GET', `/tasks/${shell}?events=none`)).body.status).toBe('stopped')
  }, 60_000)

  test('every control tapped was at least 44×44 CSS px; no page error, nothing sent elsewhere', () => {
    expect(tooSmall).toEqual([])
    expect(pageErrors).toEqual([])
    expect(outside).toEqual([])
  })
})
