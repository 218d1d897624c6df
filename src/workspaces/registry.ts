import { basename } from 'node:path'
import { type CheckSpec, now } from '../domain'
import type { Store } from '../storage/store'
import { discoverRepositories } from './discover'
import { assertSafeWorkspace, exposureOf, type HostPaths } from './exposure'
import { canonicalDirectory, resolveWorkspace, type WorkspaceRef } from './paths'

export interface WorkspaceListing extends WorkspaceRef {
  /** Registered by the user (as opposed to only used by a task or found on disk). */
  registered: boolean
  /** The most recently registered or selected workspace: the UI's default. */
  current: boolean
  /** Git-ignored files (globs) copied into each new worktree; settable for registered workspaces. */
  copy_globs: string[]
  /** Checks every task here runs after an attempt with changes; settable for registered workspaces. */
  checks: CheckSpec[]
}

const DISCOVERY_CACHE_MS = 60_000

/** Workspaces the user can run tasks in: registered ones, ones tasks used, and git repos found on disk. */
export class WorkspaceRegistry {
  private discovery: { at: number; found: Promise<WorkspaceRef[]> } | null = null

  constructor(
    private readonly store: Store,
    private readonly host: HostPaths,
    private readonly discoveryRoots?: string[],
  ) {}

  /** Like the original: registered first, then workspaces of recent tasks, then the server's directory. */
  async list(): Promise<WorkspaceListing[]> {
    const registered = this.store.workspaces.list()
    const seen = new Set<string>()
    const result: WorkspaceListing[] = []
    const add = async (
      path: string,
      isRegistered: boolean,
      copyGlobs: string[] = [],
      checks: CheckSpec[] = [],
    ) => {
      if (seen.has(path)) return
      seen.add(path)
      try {
        const canonical = await canonicalDirectory(path)
        // Registered before this check existed, or the server's own folder: not offered.
        if (exposureOf(canonical, this.host) !== null) return
        result.push({
          name: basename(canonical) || canonical,
          path: canonical,
          registered: isRegistered,
          current: false,
          copy_globs: copyGlobs,
          checks,
        })
      } catch {
        // A workspace that no longer exists is not offered.
      }
    }
    for (const row of registered) await add(row.path, true, row.copy_globs, row.checks)
    for (const path of this.store.tasks.recentWorkspaces(50)) await add(path, false)
    await add(process.cwd(), false)
    const first = result[0]
    if (first?.registered) first.current = true
    return result
  }

  /** Registers (or selects again) a workspace; it becomes the current one. */
  async register(path: string): Promise<WorkspaceRef> {
    const workspace = await resolveWorkspace(path)
    assertSafeWorkspace(workspace.path, this.host)
    this.store.workspaces.upsert(workspace.path, workspace.name, now())
    return workspace
  }

  /** Sets which git-ignored files are copied into new worktrees of a workspace (registering it if needed). */
  async setCopyGlobs(path: string, globs: string[]): Promise<WorkspaceRef & { copy_globs: string[] }> {
    const workspace = await this.register(path)
    const cleaned = [...new Set(globs.map((glob) => glob.trim()).filter(Boolean))]
    this.store.workspaces.setCopyGlobs(workspace.path, cleaned)
    return { ...workspace, copy_globs: cleaned }
  }

  /** Sets the checks every task of a workspace runs (registering it if needed). */
  async setChecks(path: string, checks: CheckSpec[]): Promise<WorkspaceRef & { checks: CheckSpec[] }> {
    const workspace = await this.register(path)
    this.store.workspaces.setChecks(workspace.path, checks)
    return { ...workspace, checks }
  }

  /** The copy globs that apply to a task's workspace: its own, or those of the registered workspace containing it. */
  copyGlobsFor(workspace: string): string[] {
    return this.settingsOf(workspace)?.copy_globs ?? []
  }

  /** The checks that apply to a task's workspace, found as its copy globs are. */
  checksFor(workspace: string): CheckSpec[] {
    return this.settingsOf(workspace)?.checks ?? []
  }

  /** The registered workspace holding `workspace` most closely (itself, or the nearest containing it). */
  private settingsOf(workspace: string) {
    let best: ReturnType<Store['workspaces']['list']>[number] | null = null
    for (const row of this.store.workspaces.list()) {
      const inside = workspace === row.path || workspace.startsWith(`${row.path}/`)
      if (inside && (!best || row.path.length > best.path.length)) best = row
    }
    return best
  }

  /** Git repositories under the configured roots (default: home, three levels deep), cached briefly. */
  discover(refresh = false): Promise<WorkspaceRef[]> {
    if (!refresh && this.discovery && Date.now() - this.discovery.at < DISCOVERY_CACHE_MS)
      return this.discovery.found
    const found = discoverRepositories(this.discoveryRoots ? { roots: this.discoveryRoots } : {})
    this.discovery = { at: Date.now(), found }
    found.catch(() => (this.discovery = null))
    return found
  }
}
