import { Elysia } from 'elysia'
import type { Runtime } from '../../runtime'
import { Flash } from '../../views/flash'
import { DiscoveredList, FolderBrowser, WorkspacePanel } from '../../views/workspaces'
import { listFolders } from '../../workspaces/browse'
import { type FormFields, field, guarded, html } from './respond'

/** The workspace switcher's fragments: choose, register by path, browse folders, discovered repositories. */
export function workspacePageRoutes(runtime: Runtime) {
  const { workspaces } = runtime

  // Registering makes a workspace the current one; the panel re-renders with it selected. The
  // switcher posts the dispatch form it belongs to, so it names its field; the other forms send `path`.
  const choose = (fieldName: string, message: (path: string) => string) => (context: { body: unknown }) =>
    guarded(async () => {
      const chosen = await workspaces.register(field(context.body as FormFields, fieldName))
      const panel = WorkspacePanel({ workspaces: await workspaces.list() }) as string
      const flash = Flash({ kind: 'ok', message: message(chosen.path) }) as string
      return html(`${panel}<hx-partial hx-target="#flash" hx-swap="innerHTML">${flash}</hx-partial>`)
    })

  return new Elysia({ name: 'workspace-page-routes', detail: { hide: true } })
    .post(
      '/ui/workspaces/register',
      choose('path', (path) => `Added ${path}; new tasks run there.`),
    )
    .post(
      '/ui/workspaces/current',
      choose('workspace', (path) => `New tasks run in ${path}.`),
    )
    .get('/ui/workspaces/browse', ({ query }) =>
      guarded(async () =>
        html(FolderBrowser({ listing: await listFolders(query.path || undefined) }) as string),
      ),
    )
    .get('/ui/workspaces/discovered', () =>
      guarded(async () => html(DiscoveredList({ repos: await workspaces.discover() }) as string)),
    )
}
