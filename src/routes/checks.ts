import { Elysia } from 'elysia'
import { TaskChecksViewSchema } from '../models'
import { ErrorResponse, TaskParams } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 412: ErrorResponse }

/** A task's checks: the verdicts of each round, and a new round on request. */
export function checkRoutes(services: Services) {
  const { tasks, checks } = services
  return new Elysia({ name: 'check-routes', tags: ['review'] })
    .get('/tasks/:id/checks', ({ params }) => checks.view(tasks.get(params.id)), {
      params: TaskParams,
      response: { 200: TaskChecksViewSchema, ...errors },
      detail: {
        summary: "The task's checks and criteria, and every round's verdicts and grades (newest first)",
        description:
          'phase says what a running task is doing (agent, checks, review). latest is the newest round: each check with its verdict (passed, failed, timed_out), exit status, duration and the tail of its output; with criteria, the reviewer grades.',
      },
    })
    .post('/tasks/:id/checks/run', ({ params }) => checks.rerun(tasks.get(params.id)), {
      params: TaskParams,
      response: { 200: TaskChecksViewSchema, ...errors },
      detail: {
        summary: 'Run the checks again on the latest attempt (the task is running.checks meanwhile)',
        description:
          'Accepted from ready-for-review with the worktree present; refused (409) while the task runs, its checks included, and when it has no checks. The verdicts come in GET /tasks/{id}/checks.',
      },
    })
}
