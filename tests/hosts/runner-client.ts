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
