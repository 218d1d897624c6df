/**
 * Every failure the core reports to a caller is one of these, with a stable code.
 * The HTTP layer maps `kind` to a status in one place (src/routes/errors.ts).
 */
export type ErrorKind =
  | 'invalid' // 400: the request itself is malformed or names something impossible
  | 'unauthorized' // 401: no valid credential for this route
  | 'forbidden' // 403: a policy refuses it
  | 'not_found' // 404
  | 'conflict' // 409: the task's current state does not allow it
  | 'precondition' // 412: something outside the request is missing (a runner CLI, git)
  | 'too_large' // 413
  | 'not_implemented' // 501: the host lacks the facility (no folder dialog)
  | 'unavailable' // 503: storage cannot be written right now

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'AppError'
  }
}

export const notFound = (what: string, id: string) =>
  new AppError('not_found', `${what}_not_found`, `${what} ${id} not found`)
export const invalid = (message: string, details?: Record<string, unknown>) =>
  new AppError('invalid', 'invalid_request', message, details)
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new AppError('conflict', code, message, details)
