import { Elysia } from 'elysia'
import type { ErrorKind } from '../errors'
import { reportedFailure } from '../tasks/failures'
import { validationMessage } from './validation-message'

/** HTTP status of each error kind, for the JSON API and the pages alike. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition: 412,
  too_large: 413,
  not_implemented: 501,
  unavailable: 503,
}

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> }
}

export const errorBody = (code: string, message: string, details?: Record<string, unknown>): ErrorBody => ({
  error: details ? { code, message, details } : { code, message },
})

/** A failure as HTTP states it: the status and the `{"error":{"code","message"}}` body. */
export interface HttpFailure {
  status: number
  body: ErrorBody
}

const failure = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({
  status,
  body: errorBody(code, message, details),
})

/**
 * The one mapping from a failure to HTTP: an AppError (or a storage refusal, which the services
 * report as one) by its kind, Elysia's own failures (validation, parsing, no such route) by their
 * code. Anything unexpected is logged and becomes a generic 500 without a stack trace.
 */
export function httpFailure(error: unknown, code?: unknown): HttpFailure {
  const reported = reportedFailure(error)
  if (reported)
    return failure(STATUS_OF_KIND[reported.kind], reported.code, reported.message, reported.details)
  switch (code) {
    case 'VALIDATION': {
      const { type, all } = error as { type: string; all: unknown[] }
      return failure(400, 'invalid_request', validationMessage(type, all[0] as never))
    }
    case 'PARSE':
      return failure(
        400,
        'malformed_body',
        'the request body is not valid JSON (or not the declared content type)',
      )
    case 'NOT_FOUND':
      return failure(404, 'route_not_found', 'no such route')
    case 'INVALID_COOKIE_SIGNATURE':
      return failure(400, 'invalid_cookie', 'a cookie has an invalid signature')
  }
  const status =
    typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
      ? error.status
      : 500
  if (status === 413) return failure(413, 'body_too_large', 'the request body is over the size limit')
  if (status >= 400 && status < 500) return failure(status, 'bad_request', (error as Error).message)
  console.error('unexpected error', error)
  return failure(500, 'internal_error', 'internal error; see the server log')
}

export function jsonFailure({ status, body }: HttpFailure): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/**
 * How the routes that answer HTML show a failure (the web UI), or undefined for a route they do
 * not own. Given the route as declared (`/tasks/:id/view`), absent when no route matched.
 */
export type FailureRepresentation = (failure: HttpFailure, route: string | undefined) => Response | undefined

/**
 * The one place where failures become HTTP: the status and body come from `httpFailure`; the
 * representation is JSON unless `represent` claims the route.
 */
export function errorHandling(represent: FailureRepresentation = () => undefined) {
  return new Elysia({ name: 'error-handling' }).onError({ as: 'global' }, ({ code, error, route }) => {
    const mapped = httpFailure(error, code)
    return represent(mapped, route) ?? jsonFailure(mapped)
  })
}
