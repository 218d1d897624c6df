import { Elysia, t } from 'elysia'
import { CreatedRunnerHostSchema, CreateRunnerHostBodySchema, RunnerHostViewSchema, wire } from '../models'
import { ErrorResponse, Uuid } from './schemas'
import type { Services } from './services'

const RunnerHost = wire(RunnerHostViewSchema)
const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }

/** The user's side of runner hosts: create one (its token shown once), list, inspect, revoke. */
export function runnerHostRoutes(services: Services) {
  const { registry } = services.runnerHosts
  return new Elysia({ name: 'runner-host-routes', tags: ['runner hosts'] })
    .post(
      '/runner-hosts',
      ({ body, set }) => {
        const { host, token } = registry.create(body)
        set.status = 201
        return { ...host, token }
      },
      {
        body: CreateRunnerHostBodySchema,
        response: { 201: wire(CreatedRunnerHostSchema), ...errors },
        detail: {
          summary: 'Create a runner host and its token',
          description:
            'The answer carries the runner token (`ort_…`); it is shown only here (the server keeps its SHA-256). The host uses it for every runner route and the git endpoint.',
        },
      },
    )
    .get('/runner-hosts', () => registry.list(), {
      response: { 200: t.Array(RunnerHost) },
      detail: {
        summary: 'Every runner host: status, slots, labels, versions, last heartbeat, running attempts',
      },
    })
    .get('/runner-hosts/:id', ({ params }) => registry.view(params.id), {
      params: t.Object({ id: Uuid }),
      response: { 200: RunnerHost, ...errors },
      detail: { summary: 'One runner host' },
    })
    .delete('/runner-hosts/:id', ({ params }) => registry.revoke(params.id), {
      params: t.Object({ id: Uuid }),
      response: { 200: RunnerHost, ...errors },
      detail: {
        summary: 'Revoke a runner host',
        description:
          'Its token is refused everywhere from now on, and each of its running attempts fails with "runner host <name> revoked".',
      },
    })
}
