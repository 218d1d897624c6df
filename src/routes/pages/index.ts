import { Elysia } from 'elysia'
import type { Runtime } from '../../runtime'
import { assetRoutes } from '../assets'
import { dashboardRoutes } from './dashboard-pages'
import { reviewPageRoutes } from './review-pages'
import { taskActionRoutes } from './task-actions'
import { taskPageRoutes } from './task-pages'
import { workspacePageRoutes } from './workspace-pages'

/**
 * The browser UI: server-rendered pages at /, /tasks/:id/view and /tasks/:id/review, and the
 * htmx fragments and streams they use under /ui/. Hidden from the OpenAPI document.
 */
export function pageRoutes(runtime: Runtime) {
  return new Elysia({ name: 'page-routes', detail: { hide: true } })
    .use(assetRoutes())
    .use(dashboardRoutes(runtime))
    .use(workspacePageRoutes(runtime))
    .use(taskPageRoutes(runtime))
    .use(taskActionRoutes(runtime))
    .use(reviewPageRoutes(runtime))
}
