import { Elysia } from 'elysia'
import { Flash } from '../../views/flash'
import { DiscoveredList, FolderBrowser, WorkspacePanel } from '../../views/workspaces'
import { listFolders } from '../../workspaces/browse'
import type { Services } from '../services'
import { BrowseQuery, CurrentWorkspaceForm, RegisterWorkspaceForm } from './forms'
import { type FormFields, field, html } from './respond'

/** The workspace switcher's fragments: choose, register by path, browse folders, discovered repositories. */
export function workspacePageRoutes({ workspaces }: Services) {
  // Registering makes a workspace the current one; the panel re-renders with it selected. The
  // switcher posts the dispatch form it belongs to, so it names its field; the other forms send `path`.
  const choose =
    (fieldName: string, message: (path: string) => string) =>
    async ({ body }: { body: FormFields | null }) => {
      const chosen = await workspaces.register(field(body, fieldName))
      const panel = WorkspacePanel({ workspaces: await workspaces.list() }) as string
      const flash = Flash({ kind: 'ok', message: message(chosen.path) }) as string
      return html(`${panel}<hx-partial hx-target="#flash" hx-swap="innerHTML">${flash}</hx-partial>`)
    }

  return new Elysia({ name: 'workspace-page-routes', detail: { hide: true } })
    .post(
      '/ui/workspaces/register',
      choose('path', (path) => `Added ${path}; new tasks run there.`),
      { body: RegisterWorkspaceForm },
    )
    .post(
      '/ui/workspaces/current',
      choose('workspace', (path) => `New tasks run in ${path}.`),
      { body: CurrentWorkspaceForm },
    )
    .get(
      '/ui/workspaces/browse',
      async ({ query }) =>
        html(FolderBrowser({ listing: await listFolders(query.path || undefined) }) as string),
      { query: BrowseQuery },
    )
    .get('/ui/workspaces/discovered', async () =>
      html(DiscoveredList({ repos: await workspaces.discover() }) as string),
    )
}
