import { Elysia, t } from 'elysia'
import { AppError } from '../errors'
import {
  ClaimBodySchema,
  EventBatchBodySchema,
  HeartbeatBodySchema,
  OutcomeBodySchema,
  RegisterBodySchema,
} from '../models'
import { ErrorResponse } from './schemas'
import type { Services } from './services'

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse }
const AttemptParams = t.Object({ attempt: t.String({ minLength: 1, maxLength: 100 }) })

/**
 * The runner protocol (runner hosts only, with their token; src/routes/security.ts refuses anyone
 * else before this): register, heartbeat, claim a run, stream its events back, report its outcome,
 * and receive control commands.
 */
export function runnerProtocolRoutes(services: Services) {
  const { registry, attempts, control } = services.runnerHosts
  return new Elysia({ name: 'runner-protocol-routes', prefix: '/runner/v1', tags: ['runner protocol'] })
    .derive({ as: 'local' }, ({ request }) => {
      const token =
        request.headers
          .get('authorization')
          ?.match(/^bearer (.+)$/i)?.[1]
          ?.trim() ?? null
      const host = registry.authenticate(token)
      // Security checked the token already; it may have been revoked since.
      if (!host)
        throw new AppError('unauthorized', 'unauthorized', 'the runner token is not valid (any more)')
      return { host }
    })
    .post('/register', ({ host, body }) => registry.register(host, body), {
      body: RegisterBodySchema,
      response: errors,
      detail: { summary: 'A runner host says what it runs (runners and versions, sandbox, slots, labels)' },
    })
    .post('/heartbeat', ({ host, body }) => registry.heartbeat(host, body), {
      body: HeartbeatBodySchema,
      response: errors,
      detail: {
        summary: 'Renews the lease; answers the attempts the host must stop',
        description: 'The host must heartbeat at least every lease_ms / 3.',
      },
    })
    .post('/claim', ({ host, body }) => attempts.claim(host, body), {
      body: ClaimBodySchema,
      response: errors,
      detail: { summary: "Claims a queued task's run: the attempt is created on this host" },
    })
    .post(
      '/attempts/:attempt/events',
      ({ host, params, body }) => attempts.events(host, params.attempt, body),
      {
        params: AttemptParams,
        body: EventBatchBodySchema,
        response: errors,
        detail: {
          summary: "A batch of the attempt's events, by the runner's own seq",
          description:
            'Idempotent: events the control plane has are skipped; a gap is refused with 409 naming the expected seq. Answers `{acked}`, the last runner seq stored.',
        },
      },
    )
    .post(
      '/attempts/:attempt/outcome',
      ({ host, params, body }) => attempts.outcome(host, params.attempt, body),
      {
        params: AttemptParams,
        body: OutcomeBodySchema,
        response: errors,
        detail: {
          summary: 'How the attempt ended (once; the same report again is accepted, another refused)',
        },
      },
    )
    .get('/control', ({ host, request }) => control.stream(host.id, request.signal), {
      detail: {
        summary: 'Commands for this host (text/event-stream): stop, reply, approval',
        description:
          'Every command not acknowledged yet is sent on each connection (the SSE id is its id), then new ones. Acknowledge each once applied.',
      },
    })
    .post('/control/:id/ack', ({ host, params }) => control.ack(host.id, params.id), {
      params: t.Object({ id: t.Integer({ minimum: 1 }) }),
      response: errors,
      detail: { summary: 'Acknowledges a command: it is never sent again' },
    })
}
