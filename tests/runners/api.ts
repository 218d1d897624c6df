import { expect } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import type { TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

export const SETTLED = ['completed', 'ready-for-review', 'failed', 'stopped']

/** Full access: no checks, no sandbox (a control run that shows what the sandbox prevents). */
export const FULL_ACCESS = {
  network_mode: 'enabled',
  allow_git_write: true,
  allow_secrets: true,
  blocked_commands: [],
}

/**
 * A scratch directory outside /tmp: a sandboxed run gets a private /tmp, so only paths elsewhere
 * show what it can and cannot reach on the host.
 */
export function hostScratch(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(`/var/tmp/${prefix}`)
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

/** The task API as the tests drive it: every call through the HTTP app. */
export function tasksApi(rt: TestRuntime) {
  const get = async (id: string, events = 'all') =>
    (await rt.call('GET', `/tasks/${id}?events=${events}`)).body

  return {
    get,
    async create(body: Record<string, unknown>): Promise<string> {
      const created = await rt.call('POST', '/tasks', { title: 'a task', prompt: '', ...body })
      expect(created.status).toBe(200)
      return created.body.id as string
    },
    start: (id: string) => rt.call('POST', `/tasks/${id}/start`),
    /** Starts the task, which must be accepted. */
    async run(id: string) {
      const started = await rt.call('POST', `/tasks/${id}/start`)
      expect(started.body?.error ?? null).toBeNull()
      expect(started.status).toBe(200)
      return started.body
    },
    reply: (id: string, message: string) => rt.call('POST', `/tasks/${id}/reply`, { message }),
    stop: (id: string) => rt.call('POST', `/tasks/${id}/stop`),
    approvals: async (id: string) => (await rt.call('GET', `/tasks/${id}/approvals`)).body,
    answer: (id: string, approvalId: string, body: { allow: boolean; message?: string }) =>
      rt.call('POST', `/tasks/${id}/approvals/${approvalId}`, body),
    /** Waits until the task is in `status` (or, with a list, any of them) and returns it. */
    async until(id: string, status: string | string[], timeoutMs = 60_000) {
      const wanted = Array.isArray(status) ? status : [status]
      return waitFor(
        `task ${id} to be ${wanted.join(' or ')}`,
        async () => {
          const task = await get(id)
          return wanted.includes(task.status) ? task : null
        },
        timeoutMs,
      )
    },
    settled(id: string, timeoutMs = 60_000) {
      return this.until(id, SETTLED, timeoutMs)
    },
  }
}

export type TasksApi = ReturnType<typeof tasksApi>

export const outputOf = (task: any, kind = 'stdout'): string[] =>
  task.events.filter((event: any) => event.kind === kind).map((event: any) => event.message)

export const eventsOf = (task: any, category: string): any[] =>
  task.events.filter((event: any) => event.metadata?.category === category)
