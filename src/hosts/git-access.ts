import type { GitRemoteAccess } from '../git/http-backend'
import type { HostDeps } from './deps'
import type { RunnerHostRegistry } from './registry'
import { repositoryName } from './repository-name'

/**
 * The git endpoint's access decision, from the registry: a host may fetch a workspace repository
 * while it holds a running attempt of a task in that workspace, and write only the refs of those
 * attempts (refs/openruntime/attempts/<attempt id>/…). Nothing else of any repository is its.
 */
export class HostGitAccess implements GitRemoteAccess {
  constructor(
    private readonly deps: Pick<HostDeps, 'store'>,
    private readonly registry: RunnerHostRegistry,
  ) {}

  hostFor(token: string): { id: string; name: string } | null {
    return this.registry.hostFor(token)
  }

  repositoryFor(hostId: string, name: string): string | null {
    for (const { workspace } of this.heldAttempts(hostId))
      if (repositoryName(workspace) === name) return workspace
    return null
  }

  mayUpdate(hostId: string, repository: string, ref: string): boolean {
    return this.heldAttempts(hostId).some(
      (attempt) =>
        attempt.workspace === repository && ref.startsWith(`refs/openruntime/attempts/${attempt.id}/`),
    )
  }

  /** The host's running attempts, each with its task's workspace. */
  private heldAttempts(hostId: string): { id: string; workspace: string }[] {
    const { store } = this.deps
    return store.runnerHosts.liveAttempts(hostId).flatMap((attempt) => {
      const task = store.tasks.get(attempt.task_id)
      return task ? [{ id: attempt.id, workspace: task.workspace }] : []
    })
  }
}
