import { anthropicJson, anthropicStream } from './anthropic'
import { type Conversation, fromAnthropic, fromOpenAI } from './conversation'
import { openaiStream } from './openai'
import { plan, type Reply } from './scripts'

export { DEFAULT_USAGE, type Usage } from './scripts'

/**
 * A scripted model for the real agent CLIs, on 127.0.0.1 with an ephemeral port. It speaks the
 * Anthropic Messages API (Claude Code) and the OpenAI Responses API (Codex), records every request,
 * and doubles as the CLIs' HTTP(S) proxy so that any attempt to reach another host is refused
 * with 403 and recorded.
 */

export interface RecordedRequest {
  api: 'anthropic' | 'openai' | 'other'
  method: string
  path: string
  headers: Record<string, string>
  body: Record<string, unknown> | null
  conversation: Conversation | null
  reply: Reply | null
}

export interface ModelServer {
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /** `host:port` of every CONNECT and every request addressed to another host. */
  readonly outsideAttempts: string[]
  /** Resolves once a reply is held open (a `long` script); each held reply satisfies one wait. */
  waitForHold(timeoutMs?: number): Promise<void>
  /** Environment that points a CLI's proxy at this server and exempts loopback. */
  proxyEnv(): Record<string, string>
  stop(): Promise<void>
}

const MODEL_FALLBACK = 'scripted-model'

async function jsonBody(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const body = await req.json()
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : null
  } catch {
    return null
  }
}

export function startModelServer(): ModelServer {
  const requests: RecordedRequest[] = []
  const outsideAttempts: string[] = []
  const holdWaiters: Array<() => void> = []
  let unclaimedHolds = 0
  let counter = 0
  const nextId = () => `${Date.now().toString(36)}${(counter++).toString(36).padStart(4, '0')}`

  const noteHold = (reply: Reply) => {
    if (!reply.holdMs) return
    const waiter = holdWaiters.shift()
    if (waiter) waiter()
    else unclaimedHolds++
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url, 'http://127.0.0.1')
      const headers: Record<string, string> = {}
      req.headers.forEach((value, key) => {
        headers[key] = value
      })
      const host = headers.host ?? ''
      if (req.method === 'CONNECT' || !/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) {
        outsideAttempts.push(req.method === 'CONNECT' ? req.url : host)
        return new Response('outside hosts are not reachable from tests', { status: 403 })
      }
      const body = await jsonBody(req)
      const record: RecordedRequest = {
        api: 'other',
        method: req.method,
        path: url.pathname + url.search,
        headers,
        body,
        conversation: null,
        reply: null,
      }
      requests.push(record)
      const model = typeof body?.model === 'string' ? body.model : MODEL_FALLBACK
      if (req.method === 'POST' && url.pathname === '/v1/messages' && body) {
        record.api = 'anthropic'
        record.conversation = fromAnthropic(body)
        record.reply = plan(record.conversation)
        noteHold(record.reply)
        const cwd = record.conversation.cwd
        return body.stream === true
          ? anthropicStream(record.reply, cwd, model, nextId(), req.signal)
          : anthropicJson(record.reply, cwd, model, nextId())
      }
      if (req.method === 'POST' && url.pathname === '/v1/responses' && body) {
        record.api = 'openai'
        record.conversation = fromOpenAI(body)
        record.reply = plan(record.conversation)
        noteHold(record.reply)
        return openaiStream(record.reply, model, nextId(), req.signal)
      }
      return Response.json(
        { type: 'error', error: { type: 'not_found_error', message: 'no such route' } },
        { status: 404 },
      )
    },
  })
  const port = server.port ?? 0
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    port,
    requests,
    outsideAttempts,
    waitForHold(timeoutMs = 30_000) {
      if (unclaimedHolds > 0) {
        unclaimedHolds--
        return Promise.resolve()
      }
      return new Promise((resolve, reject) => {
        const waiter = () => {
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          holdWaiters.splice(holdWaiters.indexOf(waiter), 1)
          reject(new Error('the model was never asked for a long reply'))
        }, timeoutMs)
        holdWaiters.push(waiter)
      })
    },
    proxyEnv: () => ({
      HTTPS_PROXY: url,
      HTTP_PROXY: url,
      https_proxy: url,
      http_proxy: url,
      NO_PROXY: '127.0.0.1,localhost',
      no_proxy: '127.0.0.1,localhost',
    }),
    stop: () => server.stop(true),
  }
}
