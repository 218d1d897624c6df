import type { SupervisedProcess, SupervisorHooks } from '../../process/supervise'
import type { ReplyDelivery } from '../live-runs'
import { runnerEnvironment } from '../runner-env'
import type { ExecutorDeps } from '../runners/runner'
import type { ExecutorContext, ExecutorLaunch, RunExecutor } from './executor'

/**
 * The shell runner: the user's command under `/bin/sh -lc`, its output as lines, stdin kept open
 * for replies, and a quiet process blocked on reading stdin taken as waiting for input.
 */
export class ShellExecutor implements RunExecutor {
  readonly redactsStream = true
  readonly hooks: SupervisorHooks
  private process: SupervisedProcess | null = null
  private waitingForInput = false

  constructor(
    private readonly ctx: ExecutorContext,
    private readonly deps: Pick<ExecutorDeps, 'config'>,
    private readonly environment: readonly string[],
  ) {
    this.hooks = {
      onLine: (stream, line, partial) => {
        const room = ctx.record({ kind: stream, message: line, metadata: partial ? { partial: true } : null })
        if (this.waitingForInput && !partial) this.resumeAfterInput('output resumed')
        return room ?? undefined
      },
      onWaitingForInput: (evidence, prompt) => {
        const reason = prompt.trim() || 'the process is waiting for input on stdin'
        ctx.needInput(reason, { reason, source: 'runner', evidence })
        this.waitingForInput = true
      },
    }
  }

  async launch(): Promise<ExecutorLaunch> {
    const { task, policy, executionDir } = this.ctx
    const env = runnerEnvironment(this.deps.config, task.id, this.environment, policy)
    return {
      spec: { argv: ['/bin/sh', '-lc', task.command], cwd: executionDir, env, keepStdin: true },
      stateDirs: [],
    }
  }

  attach(process: SupervisedProcess): void {
    this.process = process
  }

  reply(text: string): ReplyDelivery | null {
    if (!this.process?.write(`${text}\n`)) return null
    this.resumeAfterInput('reply delivered')
    return 'stdin'
  }

  answerApproval(): boolean {
    return false
  }

  async stop(): Promise<void> {
    await this.process?.stop()
  }

  failure(): string | null {
    return null
  }

  dispose(): void {}

  private resumeAfterInput(why: string): void {
    if (!this.waitingForInput) return
    this.waitingForInput = false
    this.ctx.resume(why)
  }
}
