import { Elysia } from 'elysia'
import { AppError, type ErrorKind } from '../errors'
import { isWriteRefused } from '../storage/write-failures'
import { validationMessage } from './validation-message'

/** HTTP status of each error kind; the page routes answer with the same ones. */
export const STATUS_OF_KIND: Record<ErrorKind, number> = {
  invalid: 400,
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

function json(status: number, body: ErrorBody): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}

/**
 * The one place where failures become HTTP: every error is `{"error":{"code","message"}}` with the
 * status its kind implies. Anything unexpected is logged and answered as a generic 500 without a
 * stack trace.
 */
export const errorHandling = new Elysia({ name: 'error-handling' }).onError(
  { as: 'global' },
  ({ code, error }) => {
    if (error instanceof AppError)
      return json(STATUS_OF_KIND[error.kind], errorBody(error.code, error.message, error.details))
    switch (code) {
      case 'VALIDATION':
        return json(400, errorBody('invalid_request', validationMessage(error.type, error.all[0] as never)))
      case 'PARSE':
        return json(
          400,
          errorBody(
            'malformed_body',
            'the request body is not valid JSON (or not the declared content type)',
          ),
        )
      case 'NOT_FOUND':
        return json(404, errorBody('route_not_found', 'no such route'))
      case 'INVALID_COOKIE_SIGNATURE':
        return json(400, errorBody('invalid_cookie', 'a cookie has an invalid signature'))
      default: {
        const status = 'status' in error && typeof error.status === 'number' ? error.status : 500
        if (status === 413)
          return json(413, errorBody('body_too_large', 'the request body is over the size limit'))
        if (status >= 400 && status < 500)
          return json(status, errorBody('bad_request', (error as Error).message))
        // The refused transaction rolled back: the request changed nothing and may be retried.
        if (isWriteRefused(error)) {
          return json(
            503,
            errorBody(
              'storage_unavailable',
              `the database cannot be written right now (${error.code}); nothing was changed`,
            ),
          )
        }
        console.error('unexpected error', error)
        return json(500, errorBody('internal_error', 'internal error; see the server log'))
      }
    }
  },
)
