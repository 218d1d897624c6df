import { Elysia } from 'elysia'
import { errorHandling } from './routes/errors'
import { healthRoutes } from './routes/health'
import { streamRoutes } from './routes/streams'
import { taskRoutes } from './routes/tasks'
import type { Runtime } from './runtime'

/** The HTTP application over a runtime, without listening (tests call `app.handle`). */
export function createApp(runtime: Runtime) {
  return new Elysia().use(errorHandling).use(healthRoutes).use(taskRoutes(runtime)).use(streamRoutes(runtime))
}

export type App = ReturnType<typeof createApp>
