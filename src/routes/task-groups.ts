import { Elysia, t } from 'elysia'
import { PickBodySchema, TaskGroupSummarySchema, TaskGroupViewSchema, VariantCompareSchema } from '../models'
import { ErrorResponse } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }
const GroupParams = t.Object({ id: t.String({ format: 'uuid', description: 'group id (UUID)' }) })
const VariantId = (description: string) => t.String({ format: 'uuid', description })
export const TaskGroup = TaskGroupViewSchema
const Outcomes = t.Array(
  t.Object({
    task_id: t.String(),
    ok: t.Boolean(),
    error: t.Union([t.Object({ code: t.String(), message: t.String() }), t.Null()]),
  }),
)
const GroupActionResponse = t.Object({ group: TaskGroupSummarySchema, variants: Outcomes })
const PickResponse = t.Object({
  group: TaskGroup,
  merge: t.Object({
    merged_files: t.Array(t.String()),
    commit: t.Optional(t.String()),
    message: t.String(),
    strategy: t.String(),
  }),
  archived: t.Array(
    t.Object({
      task_id: t.String(),
      archive_ref: t.Union([t.String(), t.Null()]),
      error: t.Union([t.Object({ code: t.String(), message: t.String() }), t.Null()]),
    }),
  ),
})

/** Groups of variants (POST /tasks with `variants` makes one): the resource, the comparison, group actions, the pick. */
export function taskGroupRoutes(services: Services) {
  const { groups } = services
  // The summary, not the whole resource: reading every variant's changes is not part of the action.
  const withGroup = (id: string, variants: Awaited<ReturnType<typeof groups.stop>>) => ({
    group: groups.summary(id),
    variants,
  })
  return new Elysia({ name: 'task-group-routes', tags: ['task groups'] })
    .get('/task-groups', ({ query }) => groups.list(query.limit ?? 50, query.offset ?? 0), {
      query: t.Object({
        limit: t.Optional(t.Integer({ minimum: 1, maximum: 500 })),
        offset: t.Optional(t.Integer({ minimum: 0, maximum: 1_000_000 })),
      }),
      response: { 200: t.Array(TaskGroupSummarySchema), 400: ErrorResponse },
      detail: { summary: 'List groups of variants, newest first' },
    })
    .get('/task-groups/:id', ({ params }) => groups.view(params.id), {
      params: GroupParams,
      response: { 200: TaskGroup, ...errors },
      detail: {
        summary:
          'One group: the goal and, per variant, status, runner, model, time, tokens, cost and changes',
        description:
          '`shared_files` lists the files several variants changed. `verdicts` is null until check verdicts are recorded.',
      },
    })
    .get(
      '/task-groups/:id/compare',
      ({ params, query }) => groups.compare(params.id, query.a, query.b, query.max_bytes),
      {
        params: GroupParams,
        query: t.Object({
          a: VariantId('a variant of the group: the diff starts from its result'),
          b: VariantId('another variant: the diff ends at its result'),
          max_bytes: t.Optional(t.Integer({ minimum: 1024, maximum: 50_000_000 })),
        }),
        response: { 200: VariantCompareSchema, ...errors },
        detail: {
          summary: "The diff between two variants' results, directly (a's result to b's)",
          description: '400 when a or b is not a variant of the group; 409 when one has no result yet.',
        },
      },
    )
    .post(
      '/task-groups/:id/start',
      async ({ params }) => withGroup(params.id, await groups.start(params.id)),
      {
        params: GroupParams,
        response: { 200: GroupActionResponse, ...errors },
        detail: { summary: 'Start every variant not started yet', description: 'Each outcome is listed.' },
      },
    )
    .post('/task-groups/:id/stop', async ({ params }) => withGroup(params.id, await groups.stop(params.id)), {
      params: GroupParams,
      response: { 200: GroupActionResponse, ...errors },
      detail: { summary: 'Stop every variant that is queued or running' },
    })
    .post(
      '/task-groups/:id/reply',
      async ({ params, body }) =>
        withGroup(params.id, await groups.reply(params.id, body.message, body.task_id)),
      {
        params: GroupParams,
        body: t.Object(
          {
            message: t.String({ maxLength: 100_000 }),
            task_id: t.Optional(t.Union([VariantId('the one variant to answer (default: all)'), t.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: GroupActionResponse, ...errors, 403: ErrorResponse, 412: ErrorResponse },
        detail: {
          summary: 'Answer one variant, or every variant',
          description:
            'Each variant takes it as POST /tasks/{id}/reply does; with task_id, its refusal is the answer, without it each outcome is listed.',
        },
      },
    )
    .post('/task-groups/:id/pick', ({ params, body }) => groups.pick(params.id, body), {
      params: GroupParams,
      body: PickBodySchema,
      response: { 200: PickResponse, ...errors, 412: ErrorResponse },
      detail: {
        summary: 'Keep one variant: merge it, then archive and clean up the others (restorable)',
        description:
          'Merged as POST /tasks/{id}/worktree/merge: a conflict is a 409 with the target untouched and the group still open. Refused (409) while another variant runs, and a second time.',
      },
    })
}
