import { Elysia } from 'elysia'
import { errorBody } from './errors'

export const MAX_BODY_BYTES = 2 * 1024 * 1024

/**
 * Refuses a declared body over the limit with a JSON 413 before anything reads it. (Bun's own
 * maxRequestBodySize, set at listen, also cuts off bodies that do not declare their length.)
 */
export const bodyLimit = new Elysia({ name: 'body-limit' }).onRequest(({ request }) => {
  const length = Number(request.headers.get('content-length') ?? 0)
  if (length > MAX_BODY_BYTES) {
    return new Response(
      JSON.stringify(
        errorBody('body_too_large', `the request body is ${length} bytes; the limit is ${MAX_BODY_BYTES}`),
      ),
      { status: 413, headers: { 'content-type': 'application/json' } },
    )
  }
})
