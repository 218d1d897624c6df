import type { GitRemoteAccess } from '../git/http-backend'
import type { HostDeps } from './deps'
import type { RunnerHostRegistry } from './registry'
import { repositoryName } from './repository-name'

/**
 * What a runner host may do over the git endpoint: fetch the workspace repositories of the attempts
 * it holds now, and push only into those attempts' own ref namespaces. An attempt that ended opens
 * nothing any more, except one failed here without its host's report (the host was lost) while
 * it is its task's latest and the task's worktree is neither cleaned up nor restored here: the
 * host that comes back pushes the run's last snapshot there, so the agent's work is not lost.
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
    const live = store.runnerHosts.liveAttempts(hostId).map((attempt) => ({ attempt, ended: false }))
    const unreported = store.runnerHosts
      .unreportedAttempts(hostId)
      .map((attempt) => ({ attempt, ended: true }))
    return [...live, ...unreported].flatMap(({ attempt, ended }) => {
      const task = store.tasks.get(attempt.task_id)
      if (!task || (ended && (task.worktree_cleaned_at !== null || task.worktree_path !== null))) return []
      return [{ attemptId: attempt.id, workspace: task.workspace }]
    })
  }
}
