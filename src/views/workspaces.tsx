import type { WorkspaceRef } from '../workspaces'
import type { FolderListing } from '../workspaces/browse'
import type { WorkspaceListing } from '../workspaces/registry'
import { attr } from './format'

const registerVals = (path: string) => JSON.stringify({ path })

function UseButton({ path, label }: { path: string; label: string }): JSX.Element {
  return (
    <button
      type="button"
      class="small"
      hx-post="/ui/workspaces/register"
      hx-vals={attr(registerVals(path))}
      hx-target="#workspaces"
      hx-swap="outerHTML"
      safe
    >
      {label}
    </button>
  )
}

/**
 * The workspace switcher. Its select belongs to the dispatch form (form="dispatch-form"); choosing
 * another workspace also makes it the server's current one, so the choice survives a reload.
 */
export function WorkspacePanel({ workspaces }: { workspaces: WorkspaceListing[] }): JSX.Element {
  const registered = workspaces.filter((w) => w.registered)
  const others = workspaces.filter((w) => !w.registered)
  const option = (w: WorkspaceListing) => (
    <option value={attr(w.path)} selected={w.current} safe>
      {`${w.name} — ${w.path}`}
    </option>
  )
  return (
    <section id="workspaces" class="panel" aria-labelledby="workspaces-h">
      <h2 id="workspaces-h">Workspace</h2>
      <label for="workspace-select">Run new tasks in</label>
      <select
        id="workspace-select"
        name="workspace"
        form="dispatch-form"
        hx-post="/ui/workspaces/current"
        hx-target="#workspaces"
        hx-swap="outerHTML"
      >
        {registered.length > 0 ? <optgroup label="Registered">{registered.map(option)}</optgroup> : ''}
        {others.length > 0 ? (
          <optgroup label="Used by tasks, or the server's folder">{others.map(option)}</optgroup>
        ) : (
          ''
        )}
      </select>
      <form class="register" hx-post="/ui/workspaces/register" hx-target="#workspaces" hx-swap="outerHTML">
        <label for="register-path">Add a folder by its absolute path</label>
        <div class="row">
          <input id="register-path" name="path" required placeholder="/home/you/project" autocomplete="off" />
          <button type="submit">Add</button>
        </div>
      </form>
      <details
        class="browser"
        hx-get="/ui/workspaces/browse"
        hx-trigger="toggle once"
        hx-target="find .browser-body"
      >
        <summary>Browse folders</summary>
        <div class="browser-body">Loading…</div>
      </details>
      <details
        class="discovered"
        hx-get="/ui/workspaces/discovered"
        hx-trigger="toggle once"
        hx-target="find .discovered-body"
      >
        <summary>Git repositories on this machine</summary>
        <div class="discovered-body">Searching…</div>
      </details>
    </section>
  )
}

const browseUrl = (path: string) => `/ui/workspaces/browse?path=${encodeURIComponent(path)}`

/** One folder level of the server-side folder browser. */
export function FolderBrowser({ listing }: { listing: FolderListing }): JSX.Element {
  return (
    <div class="folders">
      <p>
        <code safe>{listing.path}</code>
      </p>
      <div class="row">
        {listing.parent === null ? (
          ''
        ) : (
          <button
            type="button"
            class="small"
            hx-get={browseUrl(listing.parent)}
            hx-target="closest .browser-body"
          >
            Up to parent
          </button>
        )}
        <UseButton path={listing.path} label="Use this folder" />
      </div>
      {listing.entries.length === 0 ? (
        <p class="muted">No sub-folders.</p>
      ) : (
        <ul class="folder-list">
          {listing.entries.map((entry) => (
            <li>
              <button
                type="button"
                class="link"
                hx-get={browseUrl(entry.path)}
                hx-target="closest .browser-body"
                safe
              >
                {entry.name}
              </button>
              {entry.is_git ? <span class="tag">git</span> : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** Git repositories found under the discovery roots, each one click from becoming the workspace. */
export function DiscoveredList({ repos }: { repos: WorkspaceRef[] }): JSX.Element {
  if (repos.length === 0) return <p class="muted">None found under the discovery roots.</p>
  return (
    <ul class="folder-list">
      {repos.map((repo) => (
        <li>
          <UseButton path={repo.path} label={repo.name} />{' '}
          <code class="muted" safe>
            {repo.path}
          </code>
        </li>
      ))}
    </ul>
  )
}
