import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { makeRepo } from '../support/git-repo'
import { type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir } from '../support/temp'

const CHROMIUM = '/usr/bin/chromium'
const DOCS = join(import.meta.dir, '..', '..', 'docs')

/** Debian's Chromium; installed with apt-get when missing and we may (root), as scripts/bootstrap.sh does. */
function chromiumPath(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM
  if (process.getuid?.() === 0 && Bun.which('apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    Bun.spawnSync(['apt-get', 'update', '-qq'], { env, timeout: 120_000 })
    Bun.spawnSync(['apt-get', 'install', '-y', '-qq', 'chromium'], { env, timeout: 300_000 })
  }
  if (!existsSync(CHROMIUM)) throw new Error('Chromium is missing: install the Debian package "chromium"')
  return CHROMIUM
}

/** No sandbox (tests run as root), and none of Chromium's own traffic to outside hosts. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Headless Chromium without a profile, for a test that makes its own contexts (a phone's, say). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS })
}

/**
 * Stands in for the browser's Notification API so a test can see what the page shows. Permission
 * starts at "default" and becomes "granted" when the page asks (as if the user clicked Allow).
 */
const NOTIFICATION_RECORDER = `
  window.__notifications = []
  window.Notification = class {
    static permission = 'default'
    static async requestPermission() {
      this.permission = 'granted'
      return 'granted'
    }
    constructor(title, options) {
      window.__notifications.push({ title, ...options })
    }
  }
`

export interface UiHarness {
  url: string
  repo: string
  dir: string
  server: ServerProcess
  context: BrowserContext
  /** A new tab with dialogs (hx-confirm) accepted and page errors collected. */
  newPage(): Promise<Page>
  pageErrors: string[]
  close(): Promise<void>
}

/** A real server over a fresh database, a temp git repository, and headless Chromium with a fresh profile. */
export async function startUi(
  files?: Record<string, string>,
  env: Record<string, string> = {},
  /** Writes into the database before the server opens it (a seeded history). */
  seed?: (dbPath: string, repo: string) => void,
): Promise<UiHarness> {
  const executablePath = chromiumPath()
  const temp = tempDir('openruntime-e2e-')
  const repo = makeRepo(join(temp.path, 'repo'), files)
  const profile = join(temp.path, 'profile')
  mkdirSync(profile)
  const dbPath = join(temp.path, 'data', 'openruntime.sqlite3')
  seed?.(dbPath, repo)
  const server = await spawnServer({
    OPENRUNTIME_DB: dbPath,
    OPENRUNTIME_PARTIAL_LINE_MS: '150',
    OPENRUNTIME_DISCOVERY_ROOTS: temp.path,
    ...env,
  })
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: CHROMIUM_ARGS,
    })
  } catch (error) {
    await server.kill()
    temp.cleanup()
    throw error
  }
  // Failures should name what never appeared well within the test's own time limit.
  context.setDefaultTimeout(15_000)
  await context.addInitScript(NOTIFICATION_RECORDER)
  try {
    await signIn(context, server)
  } catch (error) {
    await context.close().catch(() => undefined)
    await server.kill()
    temp.cleanup()
    throw error
  }
  const pageErrors: string[] = []
  return {
    url: server.url,
    repo,
    dir: temp.path,
    server,
    context,
    pageErrors,
    async newPage() {
      const page = await context.newPage()
      page.on('dialog', (dialog) => void dialog.accept())
      page.on('pageerror', (error) => pageErrors.push(error.message))
      return page
    },
    async close() {
      await context.close().catch(() => undefined)
      await server.kill('SIGTERM')
      temp.cleanup()
    },
  }
}

/**
 * Signs the browser in the way a user does: through the link the server printed, which sets the
 * cookie and lands on the dashboard with the token gone from the address bar.
 */
async function signIn(context: BrowserContext, server: ServerProcess): Promise<void> {
  if (server.signInUrl === null) throw new Error('the server printed no sign-in link')
  const page = await context.newPage()
  await page.goto(server.signInUrl)
  const landed = new URL(page.url())
  if (landed.pathname !== '/' || landed.search !== '')
    throw new Error(`the sign-in link landed on ${page.url()}, not on the dashboard`)
  await page.close()
}

/** Screenshots go to docs/ when OPENRUNTIME_SCREENSHOTS=1 (to refresh the README's), else to a temp dir. */
export async function screenshot(page: Page, name: string, scratchDir: string): Promise<string> {
  const path = process.env.OPENRUNTIME_SCREENSHOTS === '1' ? join(DOCS, name) : join(scratchDir, name)
  await page.screenshot({ path })
  return path
}

/** The roster entry of a task inside one of its groups (needs-you, running, review, done, failed). */
export const inRosterGroup = (group: string, id: string) =>
  `#roster .roster-group[data-group="${group}"] .roster-item[data-task-id="${id}"]`

/** Registers the repository through the workspace panel, which makes it the dispatch form's workspace. */
export async function useWorkspace(page: Page, path: string): Promise<void> {
  await page.fill('#register-path', path)
  await page.press('#register-path', 'Enter')
  await page.waitForFunction(
    (wanted) => (document.getElementById('workspace-select') as HTMLSelectElement | null)?.value === wanted,
    path,
  )
}

export interface Dispatch {
  title: string
  command: string
  preset?: string
}

/** Fills and submits the dispatch form for a shell task; resolves with the message the page showed. */
export async function dispatchShell(page: Page, task: Dispatch): Promise<string> {
  await page.selectOption('#d-runner', 'shell')
  await page.fill('#d-title', task.title)
  await page.fill('#d-command', task.command)
  if (task.preset) await page.selectOption('#d-preset', task.preset)
  // The answer replaces #flash; emptied first, its next message is this dispatch's.
  await page.$eval('#flash', (flash) => flash.replaceChildren())
  await page.click('#dispatch-form button[type=submit]')
  return (await (await page.waitForSelector('#flash .flash')).textContent()) ?? ''
}

/** The id of the task whose roster entry carries this title. */
export async function taskIdByTitle(page: Page, title: string): Promise<string> {
  const row = await page.waitForSelector(`.roster-item[data-task-title="${title.replace(/"/g, '\\"')}"]`)
  return (await row.getAttribute('data-task-id')) ?? ''
}

/** Waits until the task page's summary shows this status (it is replaced live from the stream). */
export async function waitForStatus(page: Page, status: string, timeout = 30_000): Promise<void> {
  await page.waitForSelector(`#task-summary[data-task-status="${status}"]`, { timeout })
}
