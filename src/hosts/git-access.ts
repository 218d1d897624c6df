import type { GitRemoteAccess } from '../git/http-backend'
import type { HostDeps } from './deps'
import type { RunnerHostRegistry } from './registry'
import { repositoryName } from './repository-name'

/**
 * What a runner host may do over the git endpoint: fetch the workspace repositories of the attempts
 * it holds now, and push only into those attempts' own ref namespaces. An attempt that ended (or a
 * host that was revoked or lost, whose attempts failed) opens nothing any more.
 */
export class RemoteGitAccess implements GitRemoteAccess {
  constructor(
    private readonly deps: HostDeps,
    private readonly registry: RunnerHostRegistry,
  ) {}

  hostFor(token: string): { id: string; name: string } | null {
    return this.registry.hostFor(token)
  }

  repositoryFor(hostId: string, name: string): string | null {
    return (
      this.heldWorkspaces(hostId).find((held) => repositoryName(held.workspace) === name)?.workspace ?? null
    )
  }

  mayUpdate(hostId: string, repository: string, ref: string): boolean {
    return this.heldWorkspaces(hostId).some(
      (held) =>
        held.workspace === repository && ref.startsWith(`refs/openruntime/attempts/${held.attemptId}/`),
    )
  }

  private heldWorkspaces(hostId: string): { attemptId: string; workspace: string }[] {
    const { store } = this.deps
    return store.runnerHosts.liveAttempts(hostId).flatMap((attempt) => {
      const task = store.tasks.get(attempt.task_id)
      return task ? [{ attemptId: attempt.id, workspace: task.workspace }] : []
    })
  }
}
