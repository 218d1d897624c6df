import {
  type AgentAdapter,
  type AgentSession,
  type AgentSignal,
  type ApprovalAnswer,
  type Launch,
  type LaunchRequest,
  prepareAgentState,
} from '../../agents'
import { type CostLedger, MAX_LINE_CHARS, type ToolApproval } from '../../domain'
import { AppError } from '../../errors'
import { type Endpoint, parseEndpoint } from '../../policy/endpoints'
import type { OutputStream, SupervisedProcess, SupervisorHooks } from '../../process/supervise'
import type { ReplyDelivery } from '../live-runs'
import { runnerEnvironment } from '../runner-env'
import type { ExecutorDeps } from '../runners/runner'
import type { ApprovalGate, ExecutorContext, ExecutorLaunch, RunExecutor } from './executor'

/**
 * An agent CLI (Claude Code, Codex) driven through its adapter: every output line becomes
 * structured events and signals; the session id, tool approvals, usage and turn ends are acted on.
 * The attempt ends when the agent finished its turn with nothing pending: stdin is closed and the
 * CLI exits. A reply during a turn waits for its end; a reply after the process is gone is a
 * follow-up attempt (the task service's part), resuming the same session. It stores nothing
 * itself: the session, usage and approvals go to its context.
 */
export class AgentExecutor implements RunExecutor {
  readonly redactsStream = false
  readonly hooks: SupervisorHooks
  private process: SupervisedProcess | null = null
  private session: AgentSession | null = null
  private approvals: ApprovalGate | null = null
  private prompt = ''
  private readonly queued: string[] = []
  private turnOpen = false
  private lastTurnFailed = false
  private closing = false
  private turnEnded: (() => void) | null = null

  constructor(
    private readonly ctx: ExecutorContext,
    private readonly deps: ExecutorDeps,
    private readonly adapter: AgentAdapter,
    private readonly environment: readonly string[],
  ) {
    this.hooks = { onLine: (stream, line) => this.onLine(stream, line) }
  }

  async launch(): Promise<ExecutorLaunch> {
    const { ctx, deps, adapter } = this
    const { task, policy, input } = ctx
    if (!deps.binary)
      throw new AppError('precondition', 'runner_unavailable', `the ${task.runner} CLI was not found`)
    this.prompt = input.prompt
    const request: LaunchRequest = {
      bin: deps.binary,
      cwd: ctx.executionDir,
      model: task.model ?? undefined,
      permissionMode: policy.require_approval ? 'supervised' : 'auto',
      resumeSessionId: input.resumeSessionId ?? undefined,
      extraArgs: deps.settings.args,
      extraEnv: deps.settings.env,
      baseEnv: runnerEnvironment(deps.config, task.id, this.environment, policy),
    }
    const launch = adapter.buildLaunch(request)
    this.session = adapter.createSession(request, {
      writeLine: (line) => {
        this.process?.write(`${line}\n`)
      },
    })
    this.approvals = ctx.approvals(this.session)
    const state = adapter.state(launch.env)
    return {
      spec: { argv: launch.argv, cwd: launch.cwd, env: launch.env, keepStdin: true },
      stateDirs: state.writable,
      configuration: await prepareAgentState(state),
      modelApi: modelApiEndpoints(adapter, launch, deps.config.agentHosts),
      // One protocol message per line; a tool result or file content easily exceeds the shell's 16 KiB.
      maxLineChars: MAX_LINE_CHARS,
    }
  }

  attach(process: SupervisedProcess): void {
    this.process = process
    this.turnOpen = true
    this.session?.begin(this.prompt)
  }

  reply(text: string): ReplyDelivery | null {
    if (this.closing || !this.session) return null
    if (this.turnOpen) {
      this.queued.push(text)
      return 'queued'
    }
    this.sendTurn(text)
    return 'turn'
  }

  answerApproval(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean {
    return this.approvals?.answer(approval, answer, by) ?? false
  }

  /** Interrupts the turn, lets the CLI exit on a closed stdin, and kills the group after the grace period. */
  async stop(): Promise<void> {
    const { process } = this
    if (!process) return
    const grace = this.deps.config.stopGraceMs
    if (this.turnOpen && this.session?.interrupt()) {
      await within(new Promise<void>((resolve) => (this.turnEnded = resolve)), grace)
    }
    this.closing = true
    process.closeStdin()
    if (!(await within(process.exited, grace))) await process.stop()
  }

  failure(): string | null {
    return this.lastTurnFailed ? "the agent's last turn ended in an error" : null
  }

  dispose(): void {
    this.approvals?.dispose()
  }

  private onLine(stream: OutputStream, line: string): undefined | Promise<void> {
    const { session, approvals, ctx } = this
    if (!session || !approvals) return undefined
    const output = stream === 'stdout' ? session.onStdoutLine(line) : session.onStderrLine(line)
    let room: Promise<void> | null = null
    for (const event of output.events) {
      const requestId = event.metadata?.request_id
      if (event.metadata?.type === 'notice' && typeof requestId === 'string') approvals.withdrawn(requestId)
      room = ctx.record(this.deps.redaction.event(ctx.policy, event)) ?? room
    }
    for (const signal of output.signals) this.signal(signal)
    return room ?? undefined
  }

  private signal(signal: AgentSignal): void {
    switch (signal.type) {
      case 'session':
        this.ctx.sessionStarted(signal.id)
        return
      case 'approval-request':
        this.approvals?.request(signal)
        return
      case 'turn-complete':
        this.turnCompleted(signal.isError)
        return
      case 'usage':
        this.charge({
          input_tokens: signal.input_tokens,
          output_tokens: signal.output_tokens,
          cache_read_tokens: signal.cache_read_tokens,
          cache_write_tokens: signal.cache_write_tokens,
          estimated_cents: (signal.cost_usd ?? 0) * 100,
        })
        return
      case 'tool-call':
        this.charge({ tool_calls: 1 })
    }
  }

  private turnCompleted(isError: boolean): void {
    this.turnOpen = false
    this.lastTurnFailed = isError
    this.turnEnded?.()
    if (this.ctx.stopping) return
    const next = this.queued.shift()
    if (next !== undefined) {
      this.ctx.record({
        kind: 'lifecycle',
        message: 'Queued reply sent as the next turn',
        metadata: { category: 'reply-sent' },
      })
      this.sendTurn(next)
      return
    }
    if ((this.approvals?.pendingCount ?? 0) > 0) return
    this.closing = true
    this.process?.closeStdin()
  }

  private sendTurn(text: string): void {
    this.turnOpen = true
    this.lastTurnFailed = false
    this.session?.sendUserTurn(text)
  }

  private charge(delta: Partial<CostLedger>): void {
    const { ctx } = this
    const ledger = ctx.charge(delta)
    const budget = ctx.policy.budget_cents
    if (ledger && budget !== null && ledger.estimated_cents > budget) ctx.requestStop('cost-budget-exceeded')
  }
}

/** The CLI's model API (an unusable base URL names none: the CLI fails on it anyway), and the configured extra hosts. */
function modelApiEndpoints(adapter: AgentAdapter, launch: Launch, extraHosts: Endpoint[]): Endpoint[] {
  const urls = adapter.modelApi(launch).flatMap((url) => parseEndpoint(url) ?? [])
  return [...urls, ...extraHosts]
}

/** Whether `promise` settled within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([promise.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
