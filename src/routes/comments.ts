import { Elysia, t } from 'elysia'
import { CommentSideSchema, ReviewCommentSchema } from '../models'
import { ErrorResponse, Task, Uuid } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 412: ErrorResponse }
const Params = t.Object({ id: Uuid })
const CommentParams = t.Object({
  id: Uuid,
  comment_id: t.String({ format: 'uuid', description: 'comment id' }),
})

/** Review comments on lines of a task's diff, and sending the open ones to the agent. */
export function commentRoutes(services: Services) {
  const { tasks, comments } = services
  return new Elysia({ name: 'comment-routes', tags: ['review'] })
    .get('/tasks/:id/comments', ({ params }) => comments.list(params.id), {
      params: Params,
      response: { 200: t.Array(ReviewCommentSchema), ...errors },
      detail: {
        summary: "A task's review comments, oldest first",
        description:
          'Each is checked against the newest attempt: one whose line and context that diff no longer shows is outdated (outdated_at).',
      },
    })
    .post('/tasks/:id/comments', ({ params, body }) => comments.create(params.id, body), {
      params: Params,
      body: t.Object(
        {
          path: t.String({ minLength: 1, maxLength: 4096, description: 'a file of the task diff' }),
          side: t.Optional(t.Union([CommentSideSchema, t.Null()])),
          line: t.Optional(t.Union([t.Integer({ minimum: 1, maximum: 100_000_000 }), t.Null()])),
          body: t.String({ minLength: 1, maxLength: 20_000 }),
          author: t.Optional(t.String({ maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
      response: { 200: ReviewCommentSchema, ...errors },
      detail: {
        summary: 'Comment on a line of the diff (path, side, line) or on a file (path only)',
        description:
          'The line must be one the diff shows on that side (400 otherwise); its text and context are kept.',
      },
    })
    .patch(
      '/tasks/:id/comments/:comment_id',
      ({ params, body }) => comments.resolve(params.id, params.comment_id, body.resolved),
      {
        params: CommentParams,
        body: t.Object({ resolved: t.Boolean() }, { additionalProperties: false }),
        response: { 200: ReviewCommentSchema, ...errors },
        detail: { summary: 'Resolve a comment (or open it again)' },
      },
    )
    .post(
      '/tasks/:id/comments/send',
      async ({ params, body }) => {
        const result = await comments.send(params.id, body?.note ?? undefined)
        return { task: tasks.view(params.id, 100), sent: result.sent, message: result.message }
      },
      {
        params: Params,
        body: t.Optional(
          t.Object(
            { note: t.Optional(t.Union([t.String({ maxLength: 10_000 }), t.Null()])) },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: t.Object({ task: Task, sent: t.Array(ReviewCommentSchema), message: t.String() }),
          ...errors,
        },
        detail: {
          summary: 'Send the open comments to the agent as one follow-up',
          description:
            'Each comment quotes its line and context; `note` is added at the end. 409 when no comment is open, or the task cannot take a follow-up.',
        },
      },
    )
}
