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

/** Requests through an in-process runtime's app, with the given bearer token (none: unsigned). */
export const inProcess = (rt: TestRuntime): Caller => ({
  async call(method, path, body, token) {
    const response = await rt.app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  },
})

/** Requests to a server process at `url`. */
export const overHttp = (url: () => string): Caller => ({
  async call(method, path, body, token) {
    const response = await fetch(`${url()}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : null }
  },
})

export const SHELL_HOST = {
  runners: { shell: { version: 'bash 5.2' } },
  sandbox: true,
  slots: 2,
  labels: ['linux'],
}
