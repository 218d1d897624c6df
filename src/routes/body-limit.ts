import { Elysia } from 'elysia'
import { errorBody } from './errors'
import { isGitSmartPath } from './security'

export const MAX_BODY_BYTES = 2 * 1024 * 1024

const refuse = (status: number, code: string, message: string) =>
  new Response(JSON.stringify(errorBody(code, message)), {
    status,
    headers: { 'content-type': 'application/json' },
  })

/**
 * Refuses a declared body over the limit with a JSON 413 before anything reads it. Bun's own
 * maxRequestBodySize, set at listen, is as large as a git push may be, so a body that does not
 * declare its length is taken only by the git endpoint, which streams it (and caps it itself).
 */
export const bodyLimit = new Elysia({ name: 'body-limit' }).onRequest(({ request }) => {
  if (isGitSmartPath(new URL(request.url).pathname)) return
  const declared = request.headers.get('content-length')
  const length = Number(declared ?? 0)
  if (length > MAX_BODY_BYTES) {
    return refuse(
      413,
      'body_too_large',
      `the request body is ${length} bytes; the limit is ${MAX_BODY_BYTES}`,
    )
  }
  if (declared === null && request.headers.get('transfer-encoding') !== null) {
    return refuse(411, 'length_required', 'send the request body with a Content-Length header')
  }
})

/** Bun's limit on any request body: the API's, or a git push's when that is larger (pkt-lines around the pack included). */
export const listenBodyLimit = (gitMaxPushBytes: number) =>
  Math.max(MAX_BODY_BYTES, gitMaxPushBytes + 1024 * 1024)
