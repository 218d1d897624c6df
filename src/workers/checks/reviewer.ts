import {
  buildClaudeReview,
  claudeAdapter,
  claudeReviewResult,
  type LaunchRequest,
  prepareAgentState,
} from '../../agents'
import { settingsOf } from '../../config'
import {
  CRITERION_VERDICTS,
  type CriterionGrade,
  type EffectivePolicy,
  effectiveBudgetMinutes,
  type TaskRecord,
} from '../../domain'
import { parseEndpoint } from '../../policy/endpoints'
import { SupervisedProcess } from '../../process/supervise'
import type { Isolation, PreparedWorkspace } from '../isolation'
import { chargeRun } from '../ledger'
import { MiB } from '../output-cap'
import { runnerOf } from '../registry'
import { planLaunch } from '../run-launch'
import type { RunnerCatalog } from '../runner-catalog'
import { runnerEnvironment } from '../runner-env'
import { errorText } from '../stop-reasons'
import type { CheckRoundDeps } from './check-round'
import { GRADES_SCHEMA, reviewPrompt } from './review-prompt'

export interface ReviewerDeps extends CheckRoundDeps {
  runners: RunnerCatalog
  isolation: Isolation
}

export interface ReviewRequest {
  task: TaskRecord
  policy: EffectivePolicy
  attemptId: string
  prepared: PreparedWorkspace
  /** The check round the grades belong to. */
  runId: string
  criteria: string[]
}

/** How much of the patch the reviewer is shown. */
const MAX_PATCH_BYTES = 200_000
const MAX_REASON = 2000

/**
 * The acceptance criteria graded by Claude Code, read-only: the worktree is mounted read-only in
 * its sandbox, it is given only reading tools, and its network reaches its model API alone,
 * whatever the task's policy allows. Its answer comes through the CLI's structured output; its
 * tokens and cost count on the attempt and the task.
 */
export class Reviewer {
  private process: SupervisedProcess | null = null
  private stopped = false

  constructor(
    private readonly deps: ReviewerDeps,
    private readonly request: ReviewRequest,
  ) {}

  async grade(): Promise<{ grades: CriterionGrade[]; error: string | null }> {
    const { deps, request } = this
    const { task, criteria } = request
    const info = await deps.runners.get('claude-code')
    if (!info.available || !info.path)
      return {
        grades: [],
        error: `Claude Code, the reviewer, is not available: ${info.reason ?? 'not found'}`,
      }
    // Stricter than the task: no network but the model API, no git writes.
    const policy: EffectivePolicy = {
      ...request.policy,
      network_mode: 'disabled',
      allow_network: false,
      allow_git_write: false,
    }
    const definition = runnerOf('claude-code')
    const settings = settingsOf(deps.config, definition.settingsName)
    const patch = (await deps.isolation.patch(task, MAX_PATCH_BYTES)) ?? ''
    const launchRequest: LaunchRequest = {
      bin: info.path,
      cwd: request.prepared.executionDir,
      model: task.runner === 'claude-code' ? (task.model ?? undefined) : undefined,
      permissionMode: 'auto',
      extraArgs: settings.args,
      extraEnv: settings.env,
      baseEnv: runnerEnvironment(deps.config, task.id, definition.environment, policy),
    }
    const launch = buildClaudeReview(launchRequest, {
      schema: GRADES_SCHEMA,
      prompt: reviewPrompt(task.prompt, criteria, patch),
    })
    const state = claudeAdapter.state(launch.env)
    const plan = await planLaunch({
      attemptId: `${request.runId}-review`,
      task,
      policy,
      launch: {
        spec: { argv: launch.argv, cwd: launch.cwd, env: launch.env, keepStdin: false },
        stateDirs: state.writable,
        configuration: await prepareAgentState(state),
        modelApi: [
          ...claudeAdapter.modelApi(launch).flatMap((url) => parseEndpoint(url) ?? []),
          ...deps.config.agentHosts,
        ],
        maxLineChars: 4 * MiB,
      },
      prepared: request.prepared,
      sandbox: deps.sandbox(),
      limits: deps.limits,
      dataDir: deps.config.dataDir,
      readOnlyWorkspace: true,
      onRefused: (target) =>
        deps.eventLog.append(task.id, {
          kind: 'lifecycle',
          attempt_id: request.attemptId,
          message: `Network: refused ${target}, which the reviewer may not reach`,
          metadata: { category: 'network-refused', target, reviewer: true },
        }),
    })
    let stdout = ''
    const stderr: string[] = []
    try {
      const { command, limits } = plan
      const env = command.active ? { ...plan.launch.spec.env, TMPDIR: '/tmp' } : plan.launch.spec.env
      const process = new SupervisedProcess(
        { ...plan.launch.spec, argv: command.argv, env },
        {
          onLine: (stream, line) => {
            if (stream === 'stdout') stdout += `${line}\n`
            else if (stderr.length < 20) stderr.push(line)
            return undefined
          },
        },
        {
          stopGraceMs: deps.config.stopGraceMs,
          idleMs: deps.config.partialLineIdleMs,
          maxLineChars: 4 * MiB,
          reap: () => limits.reap(),
        },
      )
      this.process = process
      if (this.stopped) await process.stop()
      deps.store.attempts.markProcess(request.attemptId, process.pid, process.startedTicks)
      const timer = setTimeout(
        () => process.stop().catch(() => undefined),
        effectiveBudgetMinutes(task) * 60_000,
      )
      const exit = await process.exited
      clearTimeout(timer)
      deps.store.attempts.clearProcess(request.attemptId)
      if (this.stopped) return { grades: [], error: 'the review was stopped' }
      const result = claudeReviewResult(stdout)
      chargeRun(deps.store, task.id, request.attemptId, {
        ...result.tokens,
        estimated_cents: result.costUsd * 100,
      })
      if (result.error !== null)
        return {
          grades: [],
          error: `${result.error} (${exit.text}${stderr.length ? `: ${stderr.join(' ')}` : ''})`,
        }
      return { grades: this.gradesOf(result.structured, policy), error: null }
    } catch (error) {
      return { grades: [], error: `the reviewer could not run: ${errorText(error)}` }
    } finally {
      this.process = null
      await plan.limits.finish({ stored: 0, dropped: 0 }).catch(() => undefined)
      plan.network?.close()
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.process?.stop()
  }

  /** One grade per criterion, in their order; a criterion the answer left out (or garbled) is unclear. */
  private gradesOf(structured: unknown, policy: EffectivePolicy): CriterionGrade[] {
    const given = (structured as { grades?: unknown }).grades
    const answers = Array.isArray(given) ? given : []
    return this.request.criteria.map((criterion, i) => {
      const answer = answers.find(
        (entry): entry is { verdict: unknown; reason: unknown } =>
          typeof entry === 'object' &&
          entry !== null &&
          (entry as { criterion?: unknown }).criterion === i + 1,
      )
      const verdict = CRITERION_VERDICTS.find((word) => word === answer?.verdict)
      if (!answer || !verdict)
        return { criterion, verdict: 'unclear', reason: 'the reviewer did not grade it' }
      const reason = typeof answer.reason === 'string' ? answer.reason.slice(0, MAX_REASON) : ''
      return { criterion, verdict, reason: this.deps.redaction.text(policy, reason) }
    })
  }
}
