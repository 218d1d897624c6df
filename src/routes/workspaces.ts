import { Elysia, t } from 'elysia'
import { CheckListSchema } from '../domain'
import { pickFolder } from '../workspaces'
import { listFolders } from '../workspaces/browse'
import { ErrorResponse } from './schemas'
import type { Services } from './services'

const WorkspaceRef = t.Object({ name: t.String(), path: t.String() })
const PathBody = t.Object(
  { path: t.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
)

/** Registering, listing, discovering and choosing workspaces. */
export function workspaceRoutes(services: Services) {
  const { workspaces } = services
  return new Elysia({ name: 'workspace-routes', tags: ['workspaces'] })
    .get('/workspaces', () => workspaces.list(), {
      response: {
        200: t.Array(
          t.Object({
            name: t.String(),
            path: t.String(),
            registered: t.Boolean(),
            current: t.Boolean(),
            copy_globs: t.Array(t.String()),
            checks: CheckListSchema,
          }),
        ),
      },
      detail: {
        summary: 'Workspaces: registered ones (the current first), ones tasks used, the server directory',
      },
    })
    .post('/workspaces/register', ({ body }) => workspaces.register(body.path), {
      body: PathBody,
      response: { 200: WorkspaceRef, 400: ErrorResponse },
      detail: {
        summary: 'Register a directory as a workspace (canonical absolute path; becomes the current one)',
      },
    })
    .post('/workspaces/current', ({ body }) => workspaces.register(body.path), {
      body: PathBody,
      response: { 200: WorkspaceRef, 400: ErrorResponse },
      detail: { summary: 'Switch the current workspace' },
    })
    .post(
      '/workspaces/settings',
      async ({ body }) => {
        const globs = body.copy_globs ? await workspaces.setCopyGlobs(body.path, body.copy_globs) : null
        const checks = body.checks ? await workspaces.setChecks(body.path, body.checks) : null
        const workspace = globs ?? checks ?? (await workspaces.register(body.path))
        return {
          ...workspace,
          copy_globs: globs?.copy_globs ?? workspaces.copyGlobsFor(workspace.path),
          checks: checks?.checks ?? workspaces.checksFor(workspace.path),
        }
      },
      {
        body: t.Object(
          {
            path: t.String({ minLength: 1, maxLength: 4096 }),
            copy_globs: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 512 }), { maxItems: 100 })),
            checks: t.Optional(CheckListSchema),
          },
          { additionalProperties: false },
        ),
        response: {
          200: t.Object({
            name: t.String(),
            path: t.String(),
            copy_globs: t.Array(t.String()),
            checks: CheckListSchema,
          }),
          400: ErrorResponse,
        },
        detail: {
          summary:
            'Set the git-ignored files (glob patterns, e.g. .env*) copied into each new worktree of a workspace, and the checks its tasks run',
          description:
            "Each field given replaces that setting; one left out keeps it. A check is {name, command, timeout_seconds}: after every attempt with changes it runs with /bin/sh -lc in the worktree, under the task's policy and sandbox.",
        },
      },
    )
    .get('/workspaces/discover', ({ query }) => workspaces.discover(query.refresh === 'true'), {
      query: t.Object({ refresh: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])) }),
      response: { 200: t.Array(WorkspaceRef) },
      detail: {
        summary: 'Git repositories found under the discovery roots (default: home, three levels deep)',
      },
    })
    .get(
      '/workspaces/browse',
      ({ query }) => listFolders(query.path, { showHidden: query.hidden === 'true' }),
      {
        query: t.Object({
          path: t.Optional(t.String({ maxLength: 4096 })),
          hidden: t.Optional(t.Union([t.Literal('true'), t.Literal('false')])),
        }),
        response: {
          200: t.Object({
            path: t.String(),
            parent: t.Union([t.String(), t.Null()]),
            entries: t.Array(t.Object({ name: t.String(), path: t.String(), is_git: t.Boolean() })),
          }),
          400: ErrorResponse,
        },
        detail: { summary: 'Sub-folders of a path: the folder browser the UI falls back to' },
      },
    )
    .post('/workspaces/pick', () => pickFolder(), {
      response: { 200: t.Union([WorkspaceRef, t.Null()]), 501: ErrorResponse },
      detail: {
        summary: 'Open the OS folder dialog on this machine (501 where there is none); null when cancelled',
      },
    })
}
