import type { FailureRepresentation } from '../errors'
import { failurePage } from './full-page'
import { FRAGMENTS, PAGES } from './paths'
import { flashFailure } from './respond'

const PAGE_ROUTES = new Set<string>(Object.values(PAGES))

/**
 * How the web UI shows a failure its routes raise (status and message as the API maps them): a
 * page that says so where the browser navigated, the #flash fragment for an htmx request. Other
 * routes are left to JSON.
 */
export const pageFailures: FailureRepresentation = (failure, route) => {
  if (route === undefined) return undefined
  if (PAGE_ROUTES.has(route)) return failurePage(failure)
  if (route.startsWith(FRAGMENTS)) return flashFailure(failure)
  return undefined
}
