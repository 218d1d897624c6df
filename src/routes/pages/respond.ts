import { AppError } from '../../errors'
import { Flash } from '../../views/flash'
import { visibleText } from '../../views/visible'
import { STATUS_OF_KIND } from '../errors'

const HTML = 'text/html; charset=utf-8'

/** An HTML answer; no raw control character in it reaches the browser (see visibleText). */
export function html(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(visibleText(body), { status, headers: { 'content-type': HTML, ...headers } })
}

const conflictFiles = (error: AppError): string[] | undefined => {
  const files = error.details?.files
  return Array.isArray(files) ? files.filter((file): file is string => typeof file === 'string') : undefined
}

/**
 * An error as a readable message for the page's #flash area, with the status the JSON API would
 * use (htmx 4 swaps error bodies; the layout routes 4xx and 5xx into #flash).
 */
export function errorResponse(error: unknown): Response {
  if (error instanceof AppError) {
    const body = Flash({ kind: 'error', message: error.message, files: conflictFiles(error) }) as string
    return html(body, STATUS_OF_KIND[error.kind])
  }
  console.error('unexpected error in a page route', error)
  return html(Flash({ kind: 'error', message: 'internal error; see the server log' }) as string, 500)
}

/**
 * Runs a page handler and turns any failure into an HTML fragment. The global error handler
 * answers JSON, and it runs first, so page routes catch their own errors.
 */
export async function guarded(work: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await work()
  } catch (error) {
    return errorResponse(error)
  }
}

/** The form body as htmx posts it (urlencoded); repeated keys keep their last value. */
export type FormFields = Record<string, unknown>

export function field(form: FormFields | null | undefined, name: string): string {
  const value = form?.[name]
  if (Array.isArray(value)) return String(value.at(-1) ?? '')
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)
}
