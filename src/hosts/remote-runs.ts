import {
  type ControlCommand,
  type ControlType,
  type JsonObject,
  policyInForce,
  type TaskRecord,
} from '../domain'
import { conflict } from '../errors'
import type { Store } from '../storage/store'
import type { ControlChannel } from './control'
import type { HostDeps } from './deps'
import { noneServes, type PlacementNeeds } from './placement'
import type { RunnerHostRegistry } from './registry'

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

  /** 409 when no registered host could ever run the task (its labels, its runner, its sandbox). */
  assertServable(task: TaskRecord): void {
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

  send(ref: RemoteAttemptRef, type: ControlType, payload: JsonObject): ControlCommand {
    return this.control.send(ref.hostId, ref.attemptId, type, payload)
  }
}
