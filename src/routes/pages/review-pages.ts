import { Elysia } from 'elysia'
import type { Runtime } from '../../runtime'
import type { DiffLayout } from '../../views/diff-html'
import { reviewPage } from '../../views/review-page'
import { fullPage } from './full-page'
import { html } from './respond'
import { taskContext } from './task-context'

export const diffLayout = (value: string | null | undefined): DiffLayout =>
  value === 'line-by-line' ? 'line-by-line' : 'side-by-side'

/** Diff-first review of one task: files, the diff, then merge and cleanup. */
export function reviewPageRoutes(runtime: Runtime) {
  return new Elysia({ name: 'review-page-routes', detail: { hide: true } }).get(
    '/tasks/:id/review',
    ({ params, query }) =>
      fullPage(async () => {
        const { task, actions } = taskContext(runtime, params.id, 'none')
        const diff = await runtime.review.diff(runtime.tasks.get(params.id))
        return html(reviewPage({ task, diff, layout: diffLayout(query.layout), actions }))
      }),
  )
}
