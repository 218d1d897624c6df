import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { swagger } from '@elysiajs/swagger'
import { Elysia, t } from 'elysia'
import { swaggerPage } from '../views/swagger-page'
import { errorBody } from './errors'
import { normalizeOpenApiDocument } from './openapi-document'

const SWAGGER_UI_DIR = dirname(Bun.resolveSync('swagger-ui-dist/package.json', import.meta.dir))
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
}
/**
 * The OpenAPI document at /swagger/json and Swagger UI at /swagger. The plugin's own page loads
 * Swagger UI from a CDN (its script URL is fixed), so it is parked at an unlinked path and /swagger
 * is our page over the copy in node_modules, which works offline.
 */
export function openApi(version: string) {
  return new Elysia({ name: 'openapi' })
    .onAfterHandle({ as: 'global' }, ({ request, responseValue }) => {
      if (
        new URL(request.url).pathname === '/swagger/json' &&
        responseValue &&
        typeof responseValue === 'object'
      ) {
        return normalizeOpenApiDocument(responseValue as Record<string, unknown>)
      }
    })
    .use(
      swagger({
        path: '/swagger/plugin-page',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        exclude: [/^\/vendor\//, '/login'],
        documentation: {
          info: {
            title: 'openRuntime API',
            version,
            description:
              'Local control plane for coding agents. Errors are always {"error":{"code","message"}}. Wire-compatible with the original openRuntime.',
          },
          tags: [
            { name: 'tasks', description: 'Tasks and their lifecycle' },
            { name: 'streams', description: 'Server-sent event streams' },
            { name: 'system', description: 'Health, runners, workspaces' },
          ],
        },
      }),
    )
    .get(
      '/swagger',
      () => new Response(swaggerPage(), { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      {
        detail: { hide: true },
      },
    )
    .get(
      '/vendor/swagger-ui/:file',
      ({ params }) => {
        const type = ASSETS[params.file]
        if (!type)
          return new Response(JSON.stringify(errorBody('asset_not_found', 'no such asset')), { status: 404 })
        return new Response(readFileSync(join(SWAGGER_UI_DIR, params.file)), {
          headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        })
      },
      { params: t.Object({ file: t.String() }), detail: { hide: true } },
    )
}
