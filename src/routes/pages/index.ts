import { Elysia } from 'elysia'
import { assetRoutes } from '../assets'
import type { Reader } from '../reads/reader'
import type { Services } from '../services'
import { dashboardRoutes } from './dashboard-pages'
import { groupPageRoutes } from './group-pages'
import { reviewPageRoutes } from './review-pages'
import { runnerHostPageRoutes } from './runner-host-pages'
import { taskActionRoutes } from './task-actions'
import { taskPageRoutes } from './task-pages'
import { workspacePageRoutes } from './workspace-pages'

export { pageFailures } from './failures'

/**
 * The browser UI: server-rendered pages at /, /tasks/:id/view and /tasks/:id/review, and the
 * htmx fragments and streams they use under /ui/. Hidden from the OpenAPI document. Failures are
 * shown as HTML by `pageFailures`, which the app's one error handler consults.
 */
export function pageRoutes(services: Services, reads: Reader) {
  return new Elysia({ name: 'page-routes', detail: { hide: true } })
    .use(assetRoutes())
    .use(dashboardRoutes(services))
    .use(workspacePageRoutes(services))
    .use(taskPageRoutes(services, reads))
    .use(taskActionRoutes(services))
    .use(reviewPageRoutes(services))
    .use(groupPageRoutes(services))
    .use(runnerHostPageRoutes(services))
}
