import { Elysia, t } from 'elysia'
import { BaseUpdateModeSchema } from '../models'
import { ErrorResponse, Task, TaskParams } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 412: ErrorResponse }
const Nullable = <T extends ReturnType<typeof t.String>>(schema: T) => t.Union([schema, t.Null()])

const BaseView = t.Object({
  task_id: t.String(),
  base_commit: Nullable(t.String()),
  target_commit: Nullable(t.String({ description: "the HEAD of the task's workspace checkout" })),
  target_ref: Nullable(
    t.String({ description: 'the branch the workspace checkout is on; null when detached' }),
  ),
  behind: t.Integer({ description: 'commits on the target since the task base' }),
  update: t.Union([
    t.Object({
      mode: BaseUpdateModeSchema,
      phase: t.UnionEnum(['writing', 'conflicted']),
      files: t.Array(t.String()),
      unresolved: t.Array(t.String(), { description: 'conflicted files still holding conflict markers' }),
      flattened: t.Boolean({ description: "the task's commits became uncommitted changes on the target" }),
    }),
    t.Null(),
  ]),
})

const Note = t.Optional(
  t.Object(
    { note: t.Optional(t.Union([t.String({ maxLength: 10_000 }), t.Null()])) },
    { additionalProperties: false },
  ),
)

/** Keeping a task up with its target: where it stands, update (rebase or merge), abort, resolve with the agent. */
export function baseUpdateRoutes(services: Services) {
  const { tasks, baseUpdates } = services
  return new Elysia({ name: 'base-update-routes', tags: ['review'] })
    .get('/tasks/:id/base', ({ params }) => baseUpdates.view(params.id), {
      params: TaskParams,
      response: { 200: BaseView, ...errors },
      detail: {
        summary: 'How far the target has moved since the task base, and an update waiting on a conflict',
      },
    })
    .post(
      '/tasks/:id/update-from-base',
      async ({ params, body }) => {
        const result = await baseUpdates.update(params.id, body.mode)
        return { task: tasks.view(params.id, 100), status: result.status, message: result.message }
      },
      {
        params: TaskParams,
        body: t.Object({ mode: BaseUpdateModeSchema }, { additionalProperties: false }),
        response: {
          200: t.Object({ task: Task, status: t.UnionEnum(['updated', 'up-to-date']), message: t.String() }),
          ...errors,
        },
        detail: {
          summary: "Bring the target's new commits into the task branch and worktree (rebase or merge)",
          description:
            'On a conflict (409 update_conflict, details.files) the worktree holds the conflict markers: resolve them, ask the agent (…/resolve), or abort (…/abort). 409 update_blocked names ignored files in the way; nothing changed then.',
        },
      },
    )
    .post(
      '/tasks/:id/update-from-base/abort',
      async ({ params }) => {
        const result = await baseUpdates.abort(params.id)
        return { task: tasks.view(params.id, 100), message: result.message, kept_ref: result.kept_ref }
      },
      {
        params: TaskParams,
        response: {
          200: t.Object({ task: Task, message: t.String(), kept_ref: Nullable(t.String()) }),
          ...errors,
        },
        detail: {
          summary:
            'Abort the update waiting on a conflict: worktree, its git directory and the branch exactly as before',
          description: 'What the worktree held at the abort is kept under kept_ref.',
        },
      },
    )
    .post(
      '/tasks/:id/update-from-base/resolve',
      async ({ params, body }) => {
        const result = await baseUpdates.resolveWithAgent(params.id, body?.note ?? undefined)
        return { task: tasks.view(params.id, 100), message: result.message }
      },
      {
        params: TaskParams,
        body: Note,
        response: { 200: t.Object({ task: Task, message: t.String() }), ...errors },
        detail: {
          summary:
            'Ask the agent to resolve the conflict (a follow-up naming the files and their marked regions)',
        },
      },
    )
}
