import { Elysia, t } from 'elysia'
import { FORGE_TOOLS } from '../integrations/forges'
import { ErrorResponse, Task, TaskParams } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 412: ErrorResponse }
const Nullable = <T extends ReturnType<typeof t.String>>(schema: T) => t.Union([schema, t.Null()])

const Integration = t.Object({
  name: t.UnionEnum(FORGE_TOOLS),
  label: t.String(),
  available: t.Boolean({ description: 'installed and signed in: it can open a pull request' }),
  path: Nullable(t.String()),
  version: Nullable(t.String()),
  signed_in: t.Boolean(),
  reason: Nullable(t.String()),
})

/** Pushing a task's branch and opening a pull (merge) request: user actions, with the user's credentials. */
export function publishRoutes(services: Services) {
  const { tasks, publishing } = services
  return new Elysia({ name: 'publish-routes', tags: ['review'] })
    .get('/integrations', () => publishing.integrations(), {
      response: { 200: t.Array(Integration) },
      detail: { summary: 'Forge CLIs (gh, glab): installed, version, signed in, or why not' },
    })
    .post(
      '/tasks/:id/push',
      async ({ params, body }) => {
        const result = await publishing.push(params.id, body.remote, body.branch)
        return { task: tasks.view(params.id, 100), ...result }
      },
      {
        params: TaskParams,
        body: t.Object(
          {
            remote: t.String({
              minLength: 1,
              maxLength: 200,
              description: "a remote of the workspace's repository",
            }),
            branch: t.Optional(
              t.String({
                minLength: 1,
                maxLength: 200,
                description: 'the remote branch; default the task branch',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object({
            task: Task,
            remote: t.String(),
            branch: t.String(),
            commit: t.String(),
            committed: t.Boolean({
              description: 'uncommitted changes were committed onto the task branch first',
            }),
          }),
          ...errors,
        },
        detail: {
          summary: "Push the task's branch to a remote of the user's repository",
          description:
            "The user's remote configuration and credentials; nothing of the task's git directory is read and no hook runs. A rejected push is 409 push_rejected.",
        },
      },
    )
    .post(
      '/tasks/:id/pull-request',
      async ({ params, body }) => {
        const result = await publishing.pullRequest(params.id, body ?? {})
        return { task: tasks.view(params.id, 100), ...result }
      },
      {
        params: TaskParams,
        body: t.Optional(
          t.Object(
            {
              tool: t.Optional(t.UnionEnum(FORGE_TOOLS)),
              base: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
              title: t.Optional(t.String({ minLength: 1, maxLength: 500 })),
              draft: t.Optional(t.Boolean()),
            },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: t.Object({
            task: Task,
            url: t.String(),
            tool: t.String(),
            head: t.String(),
            base: t.String(),
          }),
          ...errors,
        },
        detail: {
          summary: 'Open a pull (merge) request for the pushed branch with gh or glab',
          description:
            '412 integration_unavailable when neither is installed and signed in; 409 not_pushed before a push. The URL is recorded on the task (pull_request_url).',
        },
      },
    )
}
