import { readdirSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { Elysia, t } from 'elysia'

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

const packageDir = (name: string) => dirname(Bun.resolveSync(`${name}/package.json`, import.meta.dir))
const STATIC = join(import.meta.dir, '..', 'views', 'static')

/** Every file the pages load, by public name: vendored libraries from node_modules and our own. */
const FILES: Record<string, { path: string; type: string }> = {
  'htmx.min.js': { path: join(packageDir('htmx.org'), 'dist', 'htmx.min.js'), type: JS },
  'hx-sse.min.js': { path: join(packageDir('htmx.org'), 'dist', 'ext', 'hx-sse.min.js'), type: JS },
  'diff2html.min.css': {
    path: join(packageDir('diff2html'), 'bundles', 'css', 'diff2html.min.css'),
    type: CSS,
  },
  'diff2html-ui-slim.min.js': {
    path: join(packageDir('diff2html'), 'bundles', 'js', 'diff2html-ui-slim.min.js'),
    type: JS,
  },
  ...ownFiles(),
}

/** Our own scripts and styles: every .js and .css file in views/static, by its file name. */
function ownFiles(): Record<string, { path: string; type: string }> {
  const types: Record<string, string> = { '.js': JS, '.css': CSS }
  const files: Record<string, { path: string; type: string }> = {}
  for (const name of readdirSync(STATIC)) {
    const type = types[extname(name)]
    if (type) files[name] = { path: join(STATIC, name), type }
  }
  return files
}

interface Asset {
  body: Uint8Array<ArrayBuffer>
  type: string
  etag: string
}

/**
 * Serves the UI's scripts and styles from this server, so the pages work offline (no CDN). Files
 * are read once; browsers revalidate with the ETag, so an upgraded server is picked up at once.
 */
export function assetRoutes() {
  const assets = new Map<string, Asset>()
  for (const [name, file] of Object.entries(FILES)) {
    const body = new Uint8Array(readFileSync(file.path))
    assets.set(name, { body, type: file.type, etag: `"${Bun.hash(body).toString(36)}"` })
  }
  return new Elysia({ name: 'asset-routes', detail: { hide: true } }).get(
    '/assets/:file',
    ({ params, headers }) => {
      const asset = assets.get(params.file)
      if (!asset)
        return new Response('no such asset', { status: 404, headers: { 'content-type': 'text/plain' } })
      const common = { etag: asset.etag, 'cache-control': 'no-cache' }
      if (headers['if-none-match'] === asset.etag) return new Response(null, { status: 304, headers: common })
      return new Response(asset.body, { headers: { ...common, 'content-type': asset.type } })
    },
    { params: t.Object({ file: t.String({ maxLength: 100 }) }) },
  )
}
