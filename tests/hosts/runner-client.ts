import { expect } from 'bun:test'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import type { TestRuntime } from '../support/runtime'

/** A runner host as the tests drive the protocol: real HTTP requests with its own token. */
export interface Caller {
  call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>
}

/** The request a host sends: JSON body, its bearer token (none: unsigned). */
const init = (method: string, body?: unknown, token?: string): RequestInit => ({
  method,
  headers: {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  body: body === undefined ? undefined : JSON.stringify(body),
})

async function answer(response: Response): Promise<{ status: number; body: any }> {
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : null }
}

/** Requests through an in-process runtime's app. */
export const inProcess = (rt: TestRuntime): Caller => ({
  call: async (method, path, body, token) =>
    answer(await rt.app.handle(new Request(`http://localhost${path}`, init(method, body, token)))),
})

/** Requests to a server process at `url`. */
export const overHttp = (url: () => string): Caller => ({
  call: async (method, path, body, token) =>
    answer(await fetch(`${url()}${path}`, init(method, body, token))),
})

export const SHELL_HOST = {
  runners: { shell: { version: 'bash 5.2' } },
  sandbox: true,
  slots: 2,
  labels: ['linux'],
}

/**
 * A runner host `name` registered with `registration` on `runtime`, holding the claimed attempt
 * of a new task of `runner` placed on it (the registration's labels).
 */
export async function claimedAttempt(
  runtime: TestRuntime,
  name: string,
  registration: { labels: string[] },
  task: Record<string, unknown>,
) {
  const client = inProcess(runtime)
  const repo = makeRepo(join(runtime.dir, 'repo'))
  const host = await runtime.call('POST', '/runner-hosts', { name })
  const token = host.body.token as string
  expect((await client.call('POST', '/runner/v1/register', registration, token)).status).toBe(200)
  const created = await runtime.call('POST', '/tasks', {
    title: 'remote',
    prompt: 'do it',
    workspace: repo,
    runner_labels: registration.labels,
    ...task,
  })
  expect((await runtime.call('POST', `/tasks/${created.body.id}/start`)).status).toBe(200)
  const claim = await client.call('POST', '/runner/v1/claim', { task_id: created.body.id, run: 1 }, token)
  expect(claim.status).toBe(200)
  return { client, token, taskId: created.body.id as string, attemptId: claim.body.attempt_id as string }
}
