import { Elysia } from 'elysia'
import type { DiffLayout } from '../../views/diff-html'
import { reviewPage } from '../../views/review-page'
import { TaskParams } from '../schemas'
import type { Services } from '../services'
import { ReviewQuery } from './forms'
import { PAGES } from './paths'
import { html } from './respond'
import { rosterBeside } from './roster'
import { taskContext } from './task-context'

export const diffLayout = (value: string | null | undefined): DiffLayout =>
  value === 'line-by-line' ? 'line-by-line' : 'side-by-side'

/** Diff-first review of one task: files, the diff, then merge and cleanup. */
export function reviewPageRoutes(services: Services) {
  return new Elysia({ name: 'review-page-routes', detail: { hide: true } }).get(
    PAGES.review,
    async ({ params, query }) => {
      const { task, actions } = taskContext(services, params.id, 'none')
      const [diff, roster] = await Promise.all([
        services.review.diff(services.tasks.get(params.id)),
        rosterBeside(services, params.id),
      ])
      const approvals = services.tasks.approvals(params.id)
      const checks = services.checks.view(services.tasks.get(params.id))
      return html(
        reviewPage({ task, diff, layout: diffLayout(query.layout), actions, approvals, roster, checks }),
      )
    },
    { params: TaskParams, query: ReviewQuery },
  )
}
