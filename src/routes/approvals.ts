import { Elysia, t } from 'elysia'
import { APPROVAL_STATUSES } from '../domain'
import { ErrorResponse, TaskParams, Uuid } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }

const ToolApproval = t.Object({
  id: t.String(),
  task_id: t.String(),
  attempt_id: t.String(),
  request_id: t.String({ description: "the agent's own id for the request" }),
  tool: t.String(),
  input: t.Unknown({ description: 'what the tool would be run with' }),
  status: t.UnionEnum(APPROVAL_STATUSES, {
    description: 'pending, allowed, denied, or expired (unanswered in time, withdrawn, or the run ended)',
  }),
  decided_by: t.Union([t.String(), t.Null()]),
  decided_at: t.Union([t.String(), t.Null()]),
  message: t.Union([t.String(), t.Null()]),
  created_at: t.String(),
})

/** Tool approvals: an agent under a supervised permission mode asks before each tool use. */
export function approvalRoutes(services: Services) {
  const { tasks } = services
  return new Elysia({ name: 'approval-routes', tags: ['tasks'] })
    .get('/tasks/:id/approvals', ({ params }) => tasks.approvals(params.id), {
      params: TaskParams,
      response: { 200: t.Array(ToolApproval), ...errors },
      detail: {
        summary: "A task's tool approvals, oldest first",
        description:
          'Agents run supervised when the policy requires approval: every tool use the CLI asks about waits here, pending, and the task is needs-input until all are answered.',
      },
    })
    .post(
      '/tasks/:id/approvals/:approval_id',
      ({ params, body }) =>
        tasks.answerApproval(params.id, params.approval_id, {
          allow: body.allow,
          message: body.message ?? undefined,
        }),
      {
        params: t.Object({ id: Uuid, approval_id: t.String({ format: 'uuid', description: 'approval id' }) }),
        body: t.Object(
          {
            allow: t.Boolean(),
            message: t.Optional(
              t.Union([
                t.String({ maxLength: 10_000, description: 'told to the agent with a denial' }),
                t.Null(),
              ]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: ToolApproval, ...errors },
        detail: {
          summary: 'Allow or deny a pending tool use',
          description:
            'The answer goes to the agent at once and is recorded with who answered and when. Refused (409) once the approval is no longer pending.',
        },
      },
    )
}
