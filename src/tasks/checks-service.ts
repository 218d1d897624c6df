import type { CheckRun, CheckSpec, TaskChecksView, TaskRecord } from '../domain'
import { AppError, conflict, invalid } from '../errors'
import type { RemoteRuns } from '../hosts'
import type { TaskLifecycle } from '../lifecycle'
import { phaseOfState, stateName } from '../machines/task-state'
import type { Store } from '../storage/store'
import { checksOf } from '../workers/checks/check-list'

export interface ChecksServiceDeps {
  store: Store
  lifecycle: TaskLifecycle
  remote: RemoteRuns
  checksFor: (workspace: string) => CheckSpec[]
  /** Runs the checks of a task now in `running.checks` on its attempt, to their recorded end. */
  rerun: (task: TaskRecord, attemptId: string) => Promise<void>
}

/** Where a merge stands against the checks gate: the latest round passed, or what did not. */
export interface GateVerdict {
  passed: boolean
  /** The checks that did not pass (name and verdict), or why there is nothing to go by. */
  failed: string[]
  run: CheckRun | null
}

/** The checks of a task: their verdicts (GET /tasks/{id}/checks), a re-run on request, and the merge gate. */
export class ChecksService {
  constructor(private readonly deps: ChecksServiceDeps) {}

  view(task: TaskRecord): TaskChecksView {
    const { store, lifecycle } = this.deps
    const policy = task.effective_policy ?? task.policy
    const runs = store.checks.list(task.id)
    return {
      task_id: task.id,
      phase: phaseOfState(stateName(lifecycle.snapshot(task.id))),
      checks: checksOf(this.deps.checksFor(task.workspace), task.checks),
      criteria: task.criteria,
      fix_rounds: policy.fix_rounds,
      require_checks: policy.require_checks,
      latest: runs[0] ?? null,
      runs,
    }
  }

  /** Moves the task to `running.checks` (the machine's 409 otherwise) and runs its checks in the background. */
  rerun(task: TaskRecord): TaskChecksView {
    const { store, lifecycle } = this.deps
    if (this.deps.remote.isRemote(task))
      throw new AppError(
        'precondition',
        'checks_not_here',
        `task ${task.id} ran on a runner host; its checks run only in a worktree on this machine`,
      )
    const checks = checksOf(this.deps.checksFor(task.workspace), task.checks)
    if (checks.length === 0 && task.criteria.length === 0)
      throw conflict(
        'no_checks',
        `task ${task.id} has no checks or criteria: neither it nor its workspace names any check`,
      )
    const attempt = store.attempts.latest(task.id)
    if (!attempt) throw conflict('no_attempt', `task ${task.id} has not run yet`)
    lifecycle.transition(
      task.id,
      { type: 'CHECKS' },
      {
        message: `Running ${checks.length} check(s) again: ${checks.map((check) => check.name).join(', ')}`,
        category: 'checks-started',
        attempt_id: attempt.id,
        metadata: { checks: checks.map((check) => check.name), trigger: 'manual' },
      },
    )
    this.deps
      .rerun(store.tasks.get(task.id) ?? task, attempt.id)
      .catch((error) => console.error(`task ${task.id}: the checks re-run failed`, error))
    return this.view(task)
  }

  /** Whether the latest round of checks, on the latest attempt, passed. */
  gate(task: TaskRecord): GateVerdict {
    const { store } = this.deps
    const run = store.checks.latest(task.id)
    const attempt = store.attempts.latest(task.id)
    if (run === null) return { passed: false, failed: ['(no checks ran)'], run }
    if (attempt && run.attempt_id !== attempt.id)
      return { passed: false, failed: [`(no checks ran on attempt ${attempt.attempt_number})`], run }
    const failed = run.results
      .filter((result) => result.verdict !== 'passed')
      .map((result) => `${result.name} (${result.verdict.replace('_', ' ')})`)
    return { passed: run.status === 'passed' && failed.length === 0, failed, run }
  }

  /** A forced merge's reason, required and non-blank. */
  static reasonOf(force: boolean | undefined, reason: string | null | undefined): string | null {
    if (!force) return null
    const given = reason?.trim() ?? ''
    if (given === '')
      throw invalid('a forced merge needs a reason: body.reason is empty', { field: 'reason' })
    return given
  }
}
