/** An answer of the control plane: its status and JSON body. */
export interface Answer<T> {
  status: number
  body: T
}

/** The control plane could not be reached (down, restarting, the network): try again later. */
export class Unreachable extends Error {}

/**
 * The runner protocol's client: JSON requests to `/runner/v1/…` with the host's token. The token
 * goes only in the Authorization header, never into a message.
 */
export class ControlPlane {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  get authorization(): string {
    return `Bearer ${this.token}`
  }

  /** One request; given up after `timeoutMs` (the control plane counts as unreachable then). */
  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 15_000,
  ): Promise<Answer<T>> {
    let response: Response
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      throw new Unreachable(`${method} ${path}: ${(error as Error).message}`)
    }
    const text = await response.text()
    if (response.status >= 500) throw new Unreachable(`${method} ${path}: ${response.status}`)
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T }
  }

  /** The control stream (server-sent events); the caller reads and ends it. */
  stream(path: string, signal: AbortSignal): Promise<Response> {
    return fetch(`${this.url}${path}`, { headers: { authorization: this.authorization }, signal })
  }
}
