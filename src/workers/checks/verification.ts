import type {
  CheckRun,
  CheckSpec,
  CheckTrigger,
  EffectivePolicy,
  FixLoopOutcome,
  TaskRecord,
} from '../../domain'
import type { TaskLifecycle } from '../../lifecycle'
import { fixLoopOutcome } from '../../machines/fix-loop'
import type { PreparedWorkspace } from '../isolation'
import { checksOf } from './check-list'
import { CheckRound, type CheckRoundDeps } from './check-round'
import { fixPrompt } from './fix-prompt'

export interface VerificationDeps extends CheckRoundDeps {
  lifecycle: TaskLifecycle
  /** The checks the workspace's settings name. */
  checksFor: (workspace: string) => CheckSpec[]
}

export interface VerificationRequest {
  task: TaskRecord
  policy: EffectivePolicy
  attemptId: string
  prepared: PreparedWorkspace
  /** `attempt` after a run's process (the fix loop applies), `manual` on request (it does not). */
  trigger: Exclude<CheckTrigger, 'fix-round'>
}

/** What the round decided: its record, whether it passed, and the fix round to send (if any). */
export interface VerificationVerdict {
  run: CheckRun
  passed: boolean
  loop: FixLoopOutcome | null
  /** The follow-up of the next fix round; null when the loop ends here. */
  fix: { prompt: string; round: number } | null
  summary: string
}

/** Whether the task has anything to verify after an attempt with changes. */
export function hasChecks(deps: Pick<VerificationDeps, 'checksFor'>, task: TaskRecord): boolean {
  return checksOf(deps.checksFor(task.workspace), task.checks).length > 0
}

/**
 * After an attempt with changes (or on request): the task's checks in its worktree, then the fix
 * loop's decision. The task is in `running.checks` meanwhile (the CHECKS transition here after a
 * run; the service makes it for a request, so its refusal is the caller's 409).
 */
export class Verification {
  private round: CheckRound | null = null
  private stopped = false

  constructor(
    private readonly deps: VerificationDeps,
    private readonly request: VerificationRequest,
  ) {}

  async run(): Promise<VerificationVerdict> {
    const { deps, request } = this
    const { task, policy, attemptId } = request
    const checks = checksOf(deps.checksFor(task.workspace), task.checks)
    const previous = deps.store.checks.latest(task.id)
    const fixRound =
      request.trigger === 'attempt' && previous?.fix_loop === 'fixing' ? previous.fix_round + 1 : 0
    if (request.trigger === 'attempt')
      deps.lifecycle.transition(
        task.id,
        { type: 'CHECKS' },
        {
          message: `Running ${checks.length} check(s)${fixRound > 0 ? ` (fix round ${fixRound} of ${policy.fix_rounds})` : ''}: ${checks.map((check) => check.name).join(', ')}`,
          category: 'checks-started',
          attempt_id: attemptId,
          metadata: { checks: checks.map((check) => check.name), fix_round: fixRound },
        },
      )
    this.round = new CheckRound(deps, {
      ...request,
      trigger: fixRound > 0 ? 'fix-round' : request.trigger,
      fixRound,
      checks,
    })
    if (this.stopped) await this.round.stop()
    const run = await this.round.run()
    const passed = run.status === 'passed'
    const current = deps.store.tasks.get(task.id) ?? task
    const loop =
      request.trigger === 'manual' || run.status === 'stopped'
        ? null
        : fixLoopOutcome({
            passed,
            fixRound,
            fixRounds: policy.fix_rounds,
            canFollowUp: current.runner !== 'shell' && current.runner_session_id !== null,
          })
    const failing = run.results.filter((result) => result.verdict !== 'passed').map((result) => result.name)
    const summary = passed
      ? `All ${run.results.length} check(s) passed`
      : `Checks not passed: ${failing.join(', ')}`
    if (loop !== null) {
      deps.store.checks.finishRun(run.id, {
        status: run.status,
        fix_loop: loop,
        finished_at: run.finished_at ?? '',
      })
      if (loop !== 'fixing')
        deps.eventLog.append(task.id, {
          kind: 'lifecycle',
          attempt_id: attemptId,
          message:
            loop === 'passed'
              ? `Fix loop: all checks passed${fixRound > 0 ? ` after ${fixRound} fix round(s)` : ''}`
              : `Fix loop: ${policy.fix_rounds} fix round(s) used up; checks still not passed: ${failing.join(', ')}`,
          metadata: {
            category: 'fix-loop',
            outcome: loop,
            rounds_used: fixRound,
            fix_rounds: policy.fix_rounds,
          },
        })
    }
    return {
      run: { ...run, fix_loop: loop },
      passed,
      loop,
      fix:
        loop === 'fixing'
          ? { prompt: fixPrompt(run, fixRound + 1, policy.fix_rounds), round: fixRound + 1 }
          : null,
      summary,
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.round?.stop()
  }
}
