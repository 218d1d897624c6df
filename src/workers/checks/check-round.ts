import { randomUUID } from 'node:crypto'
import type { Config } from '../../config'
import {
  type CheckResult,
  type CheckRun,
  type CheckTrigger,
  type EffectivePolicy,
  type NewEvent,
  now,
  type TaskRecord,
} from '../../domain'
import type { EventLog } from '../../events/event-log'
import type { SandboxInfo } from '../../policy'
import type { RunLimits } from '../../process/limits/run-limits'
import { SupervisedProcess } from '../../process/supervise'
import type { Store } from '../../storage/store'
import type { PreparedWorkspace } from '../isolation'
import { MiB, OutputCap } from '../output-cap'
import type { Redaction } from '../redaction'
import { planLaunch } from '../run-launch'
import { runnerEnvironment } from '../runner-env'
import { errorText } from '../stop-reasons'
import type { ResolvedCheck } from './check-list'
import { OutputTail } from './output-tail'

export interface CheckRoundDeps {
  config: Config
  store: Store
  eventLog: EventLog
  redaction: Redaction
  sandbox: () => SandboxInfo
  limits: RunLimits
}

export interface CheckRoundRequest {
  task: TaskRecord
  policy: EffectivePolicy
  attemptId: string
  trigger: CheckTrigger
  fixRound: number
  prepared: PreparedWorkspace
  checks: ResolvedCheck[]
}

/**
 * One round of a task's checks, one after the other in its worktree, each exactly as the run's
 * own command would be: `/bin/sh -lc` under the task's policy, in the same sandbox (bubblewrap,
 * network, limits) and with the same scrubbed environment and redaction. A check's output is
 * hostile like any run's: it is streamed into the timeline tagged with the check, never obeyed.
 * Each check's verdict (passed, failed, timed_out), exit status, duration and output tail are
 * recorded on the attempt as it ends.
 */
export class CheckRound {
  readonly id = randomUUID()
  private current: SupervisedProcess | null = null
  private stopped = false

  constructor(
    private readonly deps: CheckRoundDeps,
    private readonly request: CheckRoundRequest,
  ) {}

  /** Runs every check (all of them, so each has a verdict) unless stopped; returns the round as recorded. */
  async run(): Promise<CheckRun> {
    const { store } = this.deps
    const { task, attemptId, trigger, fixRound, checks } = this.request
    store.checks.insertRun({
      id: this.id,
      task_id: task.id,
      attempt_id: attemptId,
      trigger,
      fix_round: fixRound,
      checks,
      started_at: now(),
    })
    let failed = false
    for (const [position, check] of checks.entries()) {
      if (this.stopped) break
      const result = await this.runOne(position, check)
      if (result.verdict !== 'passed') failed = true
    }
    const status = this.stopped ? 'stopped' : failed ? 'failed' : 'passed'
    store.checks.finishRun(this.id, { status, fix_loop: null, finished_at: now() })
    return store.checks.get(this.id) as CheckRun
  }

  /** Ends the check that runs now; the round records the rest as never run. */
  async stop(): Promise<void> {
    this.stopped = true
    await this.current?.stop()
  }

  private note(event: NewEvent): Promise<void> | null {
    this.deps.eventLog.append(this.request.task.id, { ...event, attempt_id: this.request.attemptId })
    return this.deps.eventLog.room(this.request.task.id)
  }

  private async runOne(position: number, check: ResolvedCheck): Promise<CheckResult> {
    const { store, config, redaction } = this.deps
    const { task, policy, prepared, attemptId } = this.request
    const tag = { check: check.name, check_run_id: this.id }
    const startedAt = now()
    store.checks.setResult(this.id, position, { verdict: 'running', started_at: startedAt })
    this.note({
      kind: 'lifecycle',
      message: `Check ${check.name}: ${check.command}`,
      metadata: {
        category: 'check-started',
        ...tag,
        command: check.command,
        timeout_seconds: check.timeout_seconds,
      },
    })
    const tail = new OutputTail()
    const cap = new OutputCap(policy.max_output_mb * MiB)
    const started = Date.now()
    let timedOut = false
    let exitText: string
    let code: number | null = null
    const limitsName = `${this.id}-${position}`
    let plan: Awaited<ReturnType<typeof planLaunch>> | null = null
    try {
      plan = await planLaunch({
        attemptId: limitsName,
        task,
        policy,
        launch: {
          spec: {
            argv: ['/bin/sh', '-lc', check.command],
            cwd: prepared.executionDir,
            env: runnerEnvironment(config, task.id, [], policy),
            keepStdin: false,
          },
          stateDirs: [],
        },
        prepared,
        sandbox: this.deps.sandbox(),
        limits: this.deps.limits,
        dataDir: config.dataDir,
        onRefused: () => undefined,
      })
      const { command, launch, limits } = plan
      const process = new SupervisedProcess(
        {
          ...launch.spec,
          argv: command.argv,
          env: command.active ? { ...launch.spec.env, TMPDIR: '/tmp' } : launch.spec.env,
        },
        {
          onLine: (stream, line, partial) => {
            tail.add(line)
            const { event } = cap.admit({
              kind: stream,
              message: line,
              metadata: { category: 'check-output', ...tag, ...(partial ? { partial: true } : {}) },
            })
            return event ? (this.note(event) ?? undefined) : undefined
          },
        },
        {
          stopGraceMs: config.stopGraceMs,
          idleMs: config.partialLineIdleMs,
          redactor: redaction.stream(policy),
          reap: () => limits.reap(),
        },
      )
      this.current = process
      // Recorded like the run's own process: a crash of this server cannot orphan it.
      store.attempts.markProcess(attemptId, process.pid, process.startedTicks)
      const timer = setTimeout(() => {
        timedOut = true
        process.stop().catch(() => undefined)
      }, check.timeout_seconds * 1000)
      const exit = await process.exited
      clearTimeout(timer)
      store.attempts.clearProcess(attemptId)
      exitText = exit.text
      code = exit.code
    } catch (error) {
      exitText = `could not start: ${errorText(error)}`
      tail.add(exitText)
    } finally {
      this.current = null
      await plan?.limits.finish({ stored: cap.stored, dropped: cap.dropped }).catch(() => undefined)
      plan?.network?.close()
    }
    const verdict = timedOut ? 'timed_out' : code === 0 && !this.stopped ? 'passed' : 'failed'
    const result = {
      verdict,
      exit_status: exitText,
      duration_ms: Date.now() - started,
      // Its lines came through the stream redactor already.
      output_tail: tail.toString(),
      finished_at: now(),
    } as const
    store.checks.setResult(this.id, position, result)
    const words = {
      passed: 'passed',
      failed: 'failed',
      timed_out: `timed out after ${check.timeout_seconds} s`,
    }
    this.note({
      kind: verdict === 'passed' ? 'lifecycle' : 'error',
      message: `Check ${check.name} ${words[verdict]} (${exitText}, ${result.duration_ms} ms)`,
      metadata: {
        category: 'check-finished',
        ...tag,
        verdict,
        exit_status: exitText,
        duration_ms: result.duration_ms,
      },
    })
    return { ...check, ...result, started_at: startedAt }
  }
}
