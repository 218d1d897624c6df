import { Elysia } from 'elysia'
import { AppError } from '../../errors'
import { Flash } from '../../views/flash'
import { CompareBody, type CompareProps, comparePage } from '../../views/group-compare'
import type { Services } from '../services'
import { CompareQuery, GroupParams, PickForm } from './forms'
import { PAGES } from './paths'
import { field, html } from './respond'
import { diffLayout } from './review-pages'
import { rosterBeside } from './roster'

/** What the compare view shows: the group, and the diff between the two chosen variants (the first two by default). */
async function compareProps(
  services: Services,
  id: string,
  query: { a?: string; b?: string; layout?: string | null },
): Promise<CompareProps> {
  const group = await services.groups.view(id)
  const [first, second] = group.variants
  const a = query.a ?? first?.task_id ?? null
  const b = query.b ?? second?.task_id ?? null
  const layout = diffLayout(query.layout)
  if (!a || !b || a === b)
    return { group, a, b, diff: null, diffNote: 'Choose two different variants.', layout }
  try {
    return { group, a, b, diff: await services.groups.compare(id, a, b), diffNote: null, layout }
  } catch (error) {
    // A variant that has not run yet has nothing to compare; the rest of the view still stands.
    if (error instanceof AppError && error.code === 'no_result')
      return { group, a, b, diff: null, diffNote: error.message, layout }
    throw error
  }
}

/** The compare view of a group of variants, and its actions (pick, stop). */
export function groupPageRoutes(services: Services) {
  const { groups } = services
  /** The message, and the compare view redrawn from the page the request came from. */
  const answer = async (id: string, message: string, currentUrl: string | undefined) => {
    const page = currentUrl ? new URL(currentUrl, 'http://localhost') : null
    const query = {
      a: page?.searchParams.get('a') ?? undefined,
      b: page?.searchParams.get('b') ?? undefined,
      layout: page?.searchParams.get('layout'),
    }
    const body = CompareBody(await compareProps(services, id, query)) as string
    return html(
      `${Flash({ kind: 'ok', message }) as string}<hx-partial hx-target="#compare" hx-swap="outerHTML">${body}</hx-partial>`,
      200,
      { 'hx-trigger': 'tasks-changed' },
    )
  }
  return new Elysia({ name: 'group-page-routes', detail: { hide: true } })
    .get(
      PAGES.compare,
      async ({ params, query }) => {
        const [props, roster] = await Promise.all([
          compareProps(services, params.id, query),
          rosterBeside(services, ''),
        ])
        return html(comparePage({ ...props, roster }))
      },
      { params: GroupParams, query: CompareQuery },
    )
    .post(
      '/ui/task-groups/:id/pick',
      async ({ params, body, headers }) => {
        const picked = await groups.pick(params.id, {
          task_id: field(body, 'task_id'),
          strategy: field(body, 'strategy') === 'commit' ? 'commit' : 'apply',
          note: field(body, 'note'),
        })
        const winner = picked.group.variants.find((variant) => variant.task_id === picked.group.pick?.task_id)
        const message = `Picked #${winner?.position ?? '?'}: ${picked.merge.message}; ${picked.archived.filter((entry) => entry.error === null).length} other variant(s) archived.`
        return answer(params.id, message, headers['hx-current-url'])
      },
      { params: GroupParams, body: PickForm },
    )
    .post(
      '/ui/task-groups/:id/stop',
      async ({ params, headers }) => {
        const stopped = await groups.stop(params.id)
        return answer(
          params.id,
          `Stopped ${stopped.filter((entry) => entry.ok).length} variant(s).`,
          headers['hx-current-url'],
        )
      },
      { params: GroupParams },
    )
}
