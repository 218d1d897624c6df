import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { hostScratch, outputOf, tasksApi } from '../runners/api'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime } from '../support/runtime'

/**
 * Attacks 4 and 5 of the containment issue: a workspace that would expose the host (`/`, the home
 * directory, what holds it or the server's data, system folders) is refused before anything is
 * stored, and the server's data directory is invisible inside every run, wherever it lives.
 */

const scratch = hostScratch('openruntime-exposure-')
afterAll(() => scratch.cleanup())

describe('workspaces that would expose the host are refused', () => {
  test('/, the home, its parents, the data directory and what holds it, system folders and task checkouts', async () => {
    const home = join(scratch.path, 'home', 'someone')
    const data = join(scratch.path, 'state', 'openruntime')
    mkdirSync(home, { recursive: true })
    const repo = makeRepo(join(scratch.path, 'project'))
    const checkout = join(repo, '.openruntime', 'worktrees', 'some-task')
    mkdirSync(checkout, { recursive: true })
    const rt = await startTestRuntime({ HOME: home, OPENRUNTIME_DB: join(data, 'openruntime.sqlite3') })
    try {
      const refused = ['/', home, dirname(home), data, dirname(data), '/etc', '/usr/lib', '/tmp', checkout]
      for (const path of refused) {
        const registered = await rt.call('POST', '/workspaces/register', { path })
        expect({ path, status: registered.status, code: registered.body.error?.code }).toEqual({
          path,
          status: 400,
          code: 'workspace_not_allowed',
        })
        const created = await rt.call('POST', '/tasks', {
          title: 'expose',
          prompt: '',
          runner: 'shell',
          command: 'touch planted',
          workspace: path,
        })
        expect({ path, status: created.status, code: created.body.error?.code }).toEqual({
          path,
          status: 400,
          code: 'workspace_not_allowed',
        })
      }
      expect((await rt.call('GET', '/tasks')).body).toEqual([])
      expect((await rt.call('GET', '/workspaces')).body.filter((w: any) => w.registered)).toEqual([])
      // A project folder is still fine, and so is `~` expanded to a project under the home.
      expect((await rt.call('POST', '/workspaces/register', { path: repo })).status).toBe(200)
    } finally {
      await rt.close()
    }
  })
})

describe("the server's data directory is invisible inside every run", () => {
  test.each([
    ['next to the workspace', (root: string) => join(root, 'data')],
    ['in the home', (root: string) => join(root, 'home', '.local', 'share', 'openruntime')],
  ])('%s', async (_, dataDirOf) => {
    const root = join(scratch.path, crypto.randomUUID())
    const home = join(root, 'home')
    const data = dataDirOf(root)
    mkdirSync(home, { recursive: true })
    mkdirSync(dirname(data), { recursive: true })
    // A file beside the data directory: readable, so the probe can tell "hidden" from "unreadable".
    writeFileSync(join(dirname(data), 'beside.txt'), 'visible neighbour')
    const repo = makeRepo(join(root, 'repo'))
    const db = join(data, 'openruntime.sqlite3')
    const rt = await startTestRuntime({ HOME: home, OPENRUNTIME_DB: db })
    const api = tasksApi(rt)
    try {
      const id = await api.create({
        runner: 'shell',
        workspace: repo,
        command: `cat ${join(dirname(data), 'beside.txt')}; echo; ls -A ${data} | wc -l; head -c 15 ${db} 2>&1 || true`,
      })
      await api.run(id)
      const task = await api.settled(id)
      expect(task.sandboxed).toBe(true)
      const out = outputOf(task)
      expect(out[0]).toBe('visible neighbour')
      expect(out[1]).toBe('0')
      expect([...out, ...outputOf(task, 'stderr')].join('\n')).not.toContain('SQLite format')
    } finally {
      await rt.close()
    }
  })
})
