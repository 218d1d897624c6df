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
import { CheckRound } from './check-round'
import { fixPrompt } from './fix-prompt'
import { Reviewer, type ReviewerDeps } from './reviewer'

export interface VerificationDeps extends ReviewerDeps {
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

/** Whether the task has anything to verify after an attempt with changes: checks or criteria. */
export function hasChecks(deps: Pick<VerificationDeps, 'checksFor'>, task: TaskRecord): boolean {
  return checksOf(deps.checksFor(task.workspace), task.checks).length > 0 || task.criteria.length > 0
}

/**
 * After an attempt with changes (or on request): the task's checks in its worktree, then the fix
 * loop's decision. The task is in `running.checks` meanwhile (the CHECKS transition here after a
 * run; the service makes it for a request, so its refusal is the caller's 409).
 */
export class Verification {
  private round: CheckRound | null = null
  private reviewer: Reviewer | null = null
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
    if (request.trigger === 'attempt' && checks.length > 0)
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
    let run = await this.round.run()
    if (task.criteria.length > 0 && run.status !== 'stopped' && !this.stopped) run = await this.review(run)
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
    const met = run.grades.filter((grade) => grade.verdict === 'met').length
    const summary = [
      ...(run.results.length === 0
        ? []
        : [
            passed ? `All ${run.results.length} check(s) passed` : `Checks not passed: ${failing.join(', ')}`,
          ]),
      ...(task.criteria.length === 0
        ? []
        : [
            run.review_error
              ? `criteria not graded: ${run.review_error}`
              : `criteria met: ${met} of ${task.criteria.length}`,
          ]),
    ].join('; ')
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
    await this.reviewer?.stop()
  }

  /** The reviewer grades the diff against the criteria (the task `running.review` meanwhile). */
  private async review(run: CheckRun): Promise<CheckRun> {
    const { deps, request } = this
    const { task, attemptId } = request
    deps.lifecycle.transition(
      task.id,
      { type: 'REVIEW' },
      {
        message: `Grading the diff against ${task.criteria.length} criterion(s)`,
        category: 'review-started',
        attempt_id: attemptId,
        metadata: { criteria: task.criteria.length, check_run_id: run.id },
      },
    )
    this.reviewer = new Reviewer(deps, { ...request, runId: run.id, criteria: task.criteria })
    const { grades, error } = await this.reviewer.grade()
    deps.store.checks.setGrades(run.id, grades, error)
    const met = grades.filter((grade) => grade.verdict === 'met').length
    deps.eventLog.append(task.id, {
      kind: error ? 'error' : 'lifecycle',
      attempt_id: attemptId,
      message: error ? `Criteria not graded: ${error}` : `Criteria graded: ${met} of ${grades.length} met`,
      metadata: { category: 'criteria-graded', check_run_id: run.id, grades, error },
    })
    return deps.store.checks.get(run.id) ?? run
  }
}
