import { Elysia, t } from 'elysia'
import { ErrorResponse, Event, Runner, Task, TaskDiff, TaskParams } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 412: ErrorResponse }
const Nullable = (schema: ReturnType<typeof t.String>) => t.Union([schema, t.Null()])
const MergeResponse = t.Object({
  task: Task,
  message: t.String(),
  merge: t.Object({
    merged_files: t.Array(t.String()),
    commit: t.Optional(t.String()),
    message: t.String(),
    strategy: t.String(),
  }),
})
const CleanupResponse = t.Object({ task: Task, message: t.String(), archive_ref: Nullable(t.String()) })
const RestoreResponse = t.Object({ task: Task, message: t.String() })
const LogsResponse = t.Object({
  task_id: t.String(),
  runner: Runner,
  session_id: Nullable(t.String()),
  events: t.Array(Event),
  message: t.String(),
})
const AttachResponse = t.Object({
  task_id: t.String(),
  runner: Runner,
  session_id: Nullable(t.String()),
  supported: t.Boolean(),
  command: Nullable(t.String()),
  message: t.String(),
})

/** Diff-first review: live diff, merge into the workspace, archive-then-remove cleanup, restore. */
export function reviewRoutes(services: Services) {
  const { tasks, review, baseUpdates } = services
  return new Elysia({ name: 'review-routes', tags: ['review'] })
    .get('/tasks/:id/diff', ({ params, query }) => review.diff(tasks.get(params.id), query.max_bytes), {
      params: TaskParams,
      query: t.Object({ max_bytes: t.Optional(t.Integer({ minimum: 1024, maximum: 50_000_000 })) }),
      response: {
        200: TaskDiff,
        ...errors,
      },
      detail: { summary: 'Live diff against the base commit: commits, uncommitted and untracked changes' },
    })
    .post(
      '/tasks/:id/worktree/merge',
      async ({ params, body }) => {
        await baseUpdates.assertNoConflict(params.id)
        const result = await review.merge(tasks.get(params.id), {
          strategy: body?.strategy,
          message: body?.message ?? undefined,
          force: body?.force,
          reason: body?.reason,
        })
        return { task: tasks.view(params.id, 100), message: result.message, merge: result }
      },
      {
        params: TaskParams,
        body: t.Optional(
          t.Object(
            {
              strategy: t.Optional(t.UnionEnum(['apply', 'commit'])),
              message: t.Optional(t.Union([t.String({ maxLength: 10_000 }), t.Null()])),
              force: t.Optional(
                t.Boolean({
                  description: 'merge although require_checks refuses it (needs a reason; recorded)',
                }),
              ),
              reason: t.Optional(
                t.Union([t.String({ maxLength: 2000, description: 'why the merge is forced' }), t.Null()]),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: MergeResponse, ...errors },
        detail: {
          summary: 'Merge the task changes into its workspace (apply as uncommitted changes, or one commit)',
          description:
            'Refused while the task runs, and a second time. On conflict (409) nothing in the target changed; the conflicting files are in error.details.files. With require_checks in the policy, refused (409 checks_not_passed, the checks named in the message and error.details.checks) unless the latest checks passed; force with a reason merges anyway and records who forced it and why.',
        },
      },
    )
    .post(
      '/tasks/:id/worktree/cleanup',
      async ({ params, query }) => {
        const result = await review.cleanup(tasks.get(params.id), query.force === 'true')
        return { task: tasks.view(params.id, 100), message: result.message, archive_ref: result.archive_ref }
      },
      {
        params: TaskParams,
        query: t.Object({ force: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])) }),
        response: { 200: CleanupResponse, ...errors },
        detail: {
          summary: 'Archive the worktree under refs/openruntime/archive/<id>, then remove it and its branch',
          description: 'Needs force=true when the changes were never merged.',
        },
      },
    )
    .post(
      '/tasks/:id/worktree/restore',
      async ({ params }) => {
        await review.restore(tasks.get(params.id))
        return { task: tasks.view(params.id, 100), message: 'worktree restored from its archive' }
      },
      {
        params: TaskParams,
        response: { 200: RestoreResponse, ...errors },
        detail: { summary: 'Bring a cleaned-up worktree back from its archive' },
      },
    )
    .get(
      '/tasks/:id/runner/logs',
      ({ params, query }) => {
        const task = tasks.get(params.id)
        const events = tasks.runnerLog(task.id, query.limit ?? 500)
        return {
          task_id: task.id,
          runner: task.runner,
          session_id: task.runner_session_id,
          events,
          message: `${events.length} runner event(s), newest last`,
        }
      },
      {
        params: TaskParams,
        query: t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })) }),
        response: { 200: LogsResponse, 400: ErrorResponse, 404: ErrorResponse },
        detail: { summary: 'The runner session part of the timeline (output and runner lifecycle events)' },
      },
    )
    .post('/tasks/:id/runner/attach', ({ params }) => tasks.attach(params.id), {
      params: TaskParams,
      response: { 200: AttachResponse, 400: ErrorResponse, 404: ErrorResponse },
      detail: { summary: 'The command that resumes the agent session in a terminal' },
    })
}
