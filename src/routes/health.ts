import { Elysia, t } from 'elysia'

export const healthRoutes = new Elysia({ name: 'health-routes', tags: ['system'] }).get(
  '/health',
  () => ({ status: 'ok', storage: 'sqlite' }),
  {
    response: t.Object({ status: t.String(), storage: t.String() }),
    detail: { summary: 'Liveness' },
  },
)
