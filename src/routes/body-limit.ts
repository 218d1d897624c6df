import { Elysia } from 'elysia'
import { RUNNER_EVENTS_BODY_BYTES } from '../models'
import { errorBody } from './errors'
import { isGitSmartPath } from './security'

export const MAX_BODY_BYTES = 2 * 1024 * 1024

const RUNNER_EVENTS_PATH = /^\/runner\/v1\/attempts\/[^/]+\/events$/

/** A runner host's batch of events may hold one as large as a local run stores; any other body keeps the API's limit. */
const limitOf = (request: Request, path: string) =>
  request.method === 'POST' && RUNNER_EVENTS_PATH.test(path) ? RUNNER_EVENTS_BODY_BYTES : MAX_BODY_BYTES

const refuse = (status: number, code: string, message: string) =>
  new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/**
 * Refuses a declared body over the limit with a JSON 413 before anything reads it. Bun's own
 * maxRequestBodySize, set at listen, is as large as the largest route's limit (a git push's, or a
 * runner's events), so a body that does not declare its length is taken only by the git endpoint,
 * which streams it (and caps it itself).
 */
export const bodyLimit = new Elysia({ name: 'body-limit' }).onRequest(({ request }) => {
  const path = new URL(request.url).pathname
  if (isGitSmartPath(path)) return
  const declared = request.headers.get('content-length')
  const length = Number(declared ?? 0)
  const limit = limitOf(request, path)
  if (length > limit) {
    return refuse(413, 'body_too_large', `the request body is ${length} bytes; the limit is ${limit}`)
  }
  if (declared === null && request.headers.get('transfer-encoding') !== null) {
    return refuse(411, 'length_required', 'send the request body with a Content-Length header')
  }
})

/** Bun's limit on any request body: the largest a route takes (pkt-lines around a git push's pack included). */
export const listenBodyLimit = (gitMaxPushBytes: number) =>
  Math.max(MAX_BODY_BYTES, RUNNER_EVENTS_BODY_BYTES, gitMaxPushBytes + 1024 * 1024)
