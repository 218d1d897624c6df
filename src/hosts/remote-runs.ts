import {
  type ControlCommand,
  type ControlType,
  type JsonObject,
  policyInForce,
  type TaskRecord,
} from '../domain'
import { conflict } from '../errors'
import { locateTaskCheckout, type RemoteWork } from '../git'
import type { RunJob } from '../queue/jobs'
import { hostPin, type Placement } from '../queue/remote-placement'
import type { Store } from '../storage/store'
import type { ControlChannel } from './control'
import type { HostDeps } from './deps'
import { noneServes, type PlacementNeeds } from './placement'
import type { RunnerHostRegistry } from './registry'
import { remoteWorkOf } from './remote-work'

/** A task's attempt that is running on a runner host right now. */
export interface RemoteAttemptRef {
  attemptId: string
  hostId: string
  hostName: string
}

const needsOf = (task: TaskRecord): PlacementNeeds => ({
  runner: task.runner,
  runner_labels: task.runner_labels,
  require_sandbox: policyInForce(task).require_sandbox,
})

/**
 * What the task service asks about runner hosts: where a task runs, whether any host could run
 * it, and how stop, reply and approval answers reach the host of a remote attempt (as commands).
 */
export class RemoteRuns {
  constructor(
    private readonly deps: HostDeps,
    private readonly registry: RunnerHostRegistry,
    private readonly control: ControlChannel,
  ) {}

  /** A task runs on a runner host when it asks for labels, or when the server runs nothing here. */
  isRemote(task: Pick<TaskRecord, 'runner_labels'>): boolean {
    return task.runner_labels.length > 0 || this.deps.config.runPlacement === 'remote'
  }

  /**
   * Where the run goes on the broker: the task's runner and labels, and for a follow-up the pin of
   * the host that holds its agent session. Null when the task runs here.
   */
  placementOf(taskId: string, run: number): Placement | null {
    const task = this.deps.store.tasks.get(taskId)
    if (!task || !this.isRemote(task)) return null
    const pinned = this.pinnedHost(taskId, run)
    return { runner: task.runner, labels: [...task.runner_labels, ...(pinned ? [hostPin(pinned)] : [])] }
  }

  /**
   * The host a run must happen on: a follow-up's, while the host that holds the task's worktree
   * (and the agent's session) is live; else null, and any host that can serve the task continues
   * from the last snapshot (see continuedFrom).
   */
  pinnedHost(taskId: string, run: number): string | null {
    const { store } = this.deps
    if (!this.isFollowUp(taskId, run)) return null
    const hostId = store.attempts.latest(taskId)?.runner_host_id ?? null
    return hostId !== null && store.runnerHosts.get(hostId)?.status === 'online' ? hostId : null
  }

  /**
   * What a follow-up's host makes the worktree from when it does not hold it (another host, or
   * the same one back with an empty directory): the task's last snapshot here, or null.
   */
  async continuedFrom(task: TaskRecord, run: number): Promise<RemoteWork | null> {
    return this.isFollowUp(task.id, run) ? this.lastSnapshot(task) : null
  }

  /**
   * The follow-ups still waiting in the queue of `hostId`'s pin: placed while it was live and held
   * their worktree. Once it is gone they belong with any host that can serve them (continuing from
   * the last snapshot), else they would wait for a host that may never come back.
   */
  pinnedRuns(hostId: string): { job: RunJob; pinned: Placement }[] {
    const { store } = this.deps
    const runs: { job: RunJob; pinned: Placement }[] = []
    for (const entry of store.outbox.list()) {
      const task = entry.follow_up === null ? null : store.tasks.get(entry.task_id)
      if (!task || !this.isRemote(task) || store.attempts.latest(task.id)?.runner_host_id !== hostId) continue
      runs.push({
        job: { taskId: task.id, run: entry.run },
        pinned: { runner: task.runner, labels: [...task.runner_labels, hostPin(hostId)] },
      })
    }
    return runs
  }

  private isFollowUp(taskId: string, run: number): boolean {
    return this.deps.store.outbox.peek(taskId, run)?.follow_up != null
  }

  private lastSnapshot(task: TaskRecord): Promise<RemoteWork | null> {
    return remoteWorkOf(this.deps.store, task, () =>
      locateTaskCheckout(task.workspace, task.id, task.worktree_path),
    )
  }

  /**
   * A follow-up continues in the task's worktree on the host that ran the last attempt, or, when
   * that host is not live, from the last snapshot of it here: 409 naming why when there is neither,
   * or when the worktree is no longer a host's (cleaned up or restored on the control plane).
   */
  async assertCanFollowUp(task: TaskRecord): Promise<void> {
    if (!this.isRemote(task)) return
    const { store } = this.deps
    const attempt = store.attempts.latest(task.id)
    const host = attempt?.runner_host_id ? store.runnerHosts.get(attempt.runner_host_id) : null
    if (!host)
      throw conflict(
        'session_not_on_host',
        `task ${task.id} cannot continue its session: its last attempt did not run on a runner host; start it instead`,
      )
    if (task.worktree_cleaned_at !== null || task.worktree_path !== null)
      throw conflict(
        'worktree_not_on_host',
        `task ${task.id} cannot continue its session on runner host ${host.name}: its worktree was ${task.worktree_cleaned_at !== null ? 'cleaned up' : 'restored on the control plane'}; start it again instead`,
      )
    if (host.status !== 'online' && (await this.lastSnapshot(task)) === null)
      throw conflict(
        'session_host_unavailable',
        `task ${task.id} cannot continue its session: it lives on runner host ${host.name}, which is ${host.status}, and no snapshot of its worktree reached the control plane; start it again instead`,
        { runner_host: host.name, status: host.status },
      )
  }

  /** 409 when no registered host could ever run the task (its labels, its runner, its sandbox). */
  assertServable(task: TaskRecord): void {
    if (task.worktree_path !== null && task.worktree_cleaned_at === null)
      throw conflict(
        'worktree_on_control_plane',
        `task ${task.id} has its worktree on the control plane (${task.worktree_path}); clean it up before it runs on a runner host again`,
      )
    const registered = this.registry.usable().filter((host) => host.registered_at !== null)
    const why = noneServes(registered, needsOf(task), 'registered')
    if (why !== null)
      throw conflict('no_runner_host', `task ${task.id} cannot be placed: ${why}`, { reason: why })
  }

  /** Why no live host can run it now (it waits in queued), or null when one can. */
  waitingReason(task: TaskRecord): string | null {
    return noneServes(
      this.registry.usable().filter((host) => host.status === 'online'),
      needsOf(task),
      'live',
    )
  }

  /** The task's attempt on a runner host, if it is running (or waiting for input) there. */
  liveAttempt(taskId: string): RemoteAttemptRef | null {
    const store: Store = this.deps.store
    const attempt = store.attempts.latest(taskId)
    if (!attempt?.runner_host_id || (attempt.status !== 'running' && attempt.status !== 'needs-input'))
      return null
    const host = store.runnerHosts.get(attempt.runner_host_id)
    return host ? { attemptId: attempt.id, hostId: host.id, hostName: host.name } : null
  }

  /**
   * The task's worktree was cleaned up here (its work is in the archive): every host that ran it
   * is told to remove its copy, which no run there holds any more.
   */
  discardWorktrees(taskId: string): void {
    const { store } = this.deps
    const latest = new Map<string, string>()
    for (const attempt of store.attempts.list(taskId))
      if (attempt.runner_host_id) latest.set(attempt.runner_host_id, attempt.id)
    for (const [hostId, attemptId] of latest)
      if (store.runnerHosts.get(hostId)?.status !== 'revoked')
        this.control.send(hostId, attemptId, 'discard', { task_id: taskId })
  }

  send(ref: RemoteAttemptRef, type: ControlType, payload: JsonObject): ControlCommand {
    return this.control.send(ref.hostId, ref.attemptId, type, payload)
  }
}
