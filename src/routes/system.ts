import { Elysia, t } from 'elysia'
import { listPresets } from '../policy'
import { ErrorResponse, Policy, Runner } from './schemas'
import type { Services } from './services'

const RunnerInfo = t.Object({
  runner: Runner,
  available: t.Boolean(),
  command: t.String(),
  path: t.Union([t.String(), t.Null()]),
  version: t.Union([t.String(), t.Null()]),
  reason: t.Union([t.String(), t.Null()]),
  sandboxed: t.Boolean(),
  sandbox_reason: t.Union([t.String(), t.Null()]),
})

/** Runners, the local agent session inventory, and the policy presets. */
export function systemRoutes(services: Services) {
  return new Elysia({ name: 'system-routes', tags: ['system'] })
    .get('/runners', ({ query }) => services.runners.list(query.refresh === 'true'), {
      query: t.Object({ refresh: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])) }),
      response: { 200: t.Array(RunnerInfo) },
      detail: { summary: 'Runner availability: path, version, or why a runner cannot run here' },
    })
    .get(
      '/runner-sessions',
      ({ query }) => {
        const inventory = services.sessions.list({ limit: query.limit ?? 200 })
        const linked = services.tasks.taskIdsBySession(
          inventory.sessions.map((session) => session.session_id),
        )
        return {
          ...inventory,
          sessions: inventory.sessions.map((session) => {
            const taskId = linked.get(session.session_id)
            return taskId
              ? { ...session, openruntime_task_id: taskId, managed_by_openruntime: true }
              : session
          }),
        }
      },
      {
        query: t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }),
        response: { 400: ErrorResponse },
        detail: {
          summary: 'Claude Code and Codex sessions found on this machine, linked to the tasks that made them',
        },
      },
    )
    .get('/policies/presets', () => listPresets(), {
      response: {
        200: t.Array(
          t.Object(
            { id: t.String(), label: t.String(), description: t.String(), policy: t.Partial(Policy) },
            { additionalProperties: true },
          ),
        ),
      },
      detail: { summary: 'Permission presets defined by the server' },
    })
}
