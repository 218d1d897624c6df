import { Elysia } from 'elysia'
import packageJson from '../package.json'
import { approvalRoutes } from './routes/approvals'
import { baseUpdateRoutes } from './routes/base-update'
import { bodyLimit } from './routes/body-limit'
import { checkRoutes } from './routes/checks'
import { commentRoutes } from './routes/comments'
import { errorHandling } from './routes/errors'
import { gitHttpRoutes } from './routes/git-http'
import { healthRoutes } from './routes/health'
import { loginRoutes } from './routes/login'
import { openApi } from './routes/openapi'
import { pageFailures, pageRoutes } from './routes/pages'
import { publishRoutes } from './routes/publish'
import { inlineReader, ThreadReader } from './routes/reads/reader'
import { reviewRoutes } from './routes/review'
import { runnerHostRoutes } from './routes/runner-hosts'
import { runnerProtocolRoutes } from './routes/runner-protocol'
import { security } from './routes/security'
import { streamRoutes } from './routes/streams'
import { strictBodies } from './routes/strict-body'
import { systemRoutes } from './routes/system'
import { taskGroupRoutes } from './routes/task-groups'
import { taskRoutes } from './routes/tasks'
import { workspaceRoutes } from './routes/workspaces'
import type { Runtime } from './runtime'
import { readSideSettings } from './tasks/read-side'

export interface AppOptions {
  /**
   * Build the task page on the pages' thread (routes/reads/), off the event loop that takes the
   * runs' output in: what the server does, and GET /tasks too while runs are live here (see
   * ThreadReaderOptions). Without, both are built on the loop.
   */
  readThread?: boolean
}

/**
 * The HTTP application over a runtime's services, without listening (tests call `app.handle`).
 * One error handler answers every failure: JSON for the API, HTML for the pages.
 */
export function createApp(runtime: Runtime, options: AppOptions = {}) {
  const reads = options.readThread
    ? new ThreadReader(readSideSettings(runtime.config), runtime, { busy: () => runtime.liveRuns.size > 0 })
    : inlineReader(runtime)
  const bodies = strictBodies()
  const app = new Elysia()
    .use(errorHandling(pageFailures))
    .use(security(runtime.config, (token) => runtime.runnerHosts.registry.authenticate(token) !== null))
    .use(bodyLimit)
    .use(bodies.plugin)
    .use(loginRoutes(runtime.config))
    .use(openApi(packageJson.version))
    .use(healthRoutes)
    .use(gitHttpRoutes(runtime, runtime.config))
    .use(taskRoutes(runtime, reads))
    .use(approvalRoutes(runtime))
    .use(streamRoutes(runtime))
    .use(reviewRoutes(runtime))
    .use(taskGroupRoutes(runtime))
    .use(checkRoutes(runtime))
    .use(commentRoutes(runtime))
    .use(baseUpdateRoutes(runtime))
    .use(publishRoutes(runtime))
    .use(systemRoutes(runtime))
    .use(workspaceRoutes(runtime))
    .use(runnerHostRoutes(runtime))
    .use(runnerProtocolRoutes(runtime))
    .use(pageRoutes(runtime, reads))
    .onStop(() => reads.close())
  bodies.learn(app.routes)
  return app
}

export type App = ReturnType<typeof createApp>
