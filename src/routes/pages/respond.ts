import { Flash } from '../../views/flash'
import { visibleText } from '../../views/visible'
import { type HttpFailure, httpFailure } from '../errors'

export const HTML = 'text/html; charset=utf-8'

/** An HTML answer; no raw control character in it reaches the browser (see visibleText). */
export function html(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(visibleText(body), { status, headers: { 'content-type': HTML, ...headers } })
}

const conflictFiles = ({ body }: HttpFailure): string[] | undefined => {
  const files = body.error.details?.files
  return Array.isArray(files) ? files.filter((file): file is string => typeof file === 'string') : undefined
}

/**
 * A failure as a readable message for the page's #flash area, with the status the JSON API uses
 * (htmx 4 swaps error bodies; the layout routes 4xx and 5xx into #flash).
 */
export function flashFailure(failure: HttpFailure): Response {
  const body = Flash({ kind: 'error', message: failure.body.error.message, files: conflictFiles(failure) })
  return html(body as string, failure.status)
}

/** Any error as the #flash fragment an htmx request gets for it. */
export const errorResponse = (error: unknown): Response => flashFailure(httpFailure(error))

/** The form body as htmx posts it (urlencoded); repeated keys keep their last value. */
export type FormFields = Record<string, unknown>

export function field(form: FormFields | null | undefined, name: string): string {
  const value = form?.[name]
  if (Array.isArray(value)) return String(value.at(-1) ?? '')
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)
}
