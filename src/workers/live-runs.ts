import type { ApprovalAnswer } from '../agents'
import type { ToolApproval } from '../domain'

/** Why a run was ended from outside its process. */
export type StopReason =
  | 'user'
  | 'budget-exceeded'
  | 'cost-budget-exceeded'
  | 'output-limit'
  | 'server-shutdown'
  | 'storage-failure'
  | 'internal-error'
  /** A runner host's run the control plane had failed already: its host was out of reach past its lease. */
  | 'host-lost'

/**
 * How a reply reached a live run: written to a shell's stdin, sent as the agent's next turn, or
 * queued until the agent's current turn ends.
 */
export type ReplyDelivery = 'stdin' | 'turn' | 'queued'

/** The handle the task service holds on a run a worker is executing right now. */
export interface LiveRun {
  readonly taskId: string
  readonly attemptId: string
  /** Set once a stop was requested; a second request is refused. */
  readonly stopping: StopReason | null
  /** Resolves once the run has recorded its outcome. */
  readonly ended: Promise<void>
  /** Ends the run; resolves once its task has recorded the outcome. */
  stop(reason: StopReason): Promise<void>
  /** Delivers a user's reply; null when the process no longer takes one (it is finishing). */
  reply(text: string): ReplyDelivery | null
  /** Passes an answer to the agent and records it; false when the agent no longer waits for it. */
  answerApproval(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean
}

/** The runs in progress in this server, by task id. */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>()
  private readonly closing = new AbortController()

  /** Aborts once the server shuts down: runs stop waiting for storage to accept their outcome. */
  get shutdownSignal(): AbortSignal {
    return this.closing.signal
  }

  get(taskId: string): LiveRun | undefined {
    return this.runs.get(taskId)
  }

  add(run: LiveRun): void {
    this.runs.set(run.taskId, run)
  }

  remove(run: LiveRun): void {
    if (this.runs.get(run.taskId) === run) this.runs.delete(run.taskId)
  }

  get size(): number {
    return this.runs.size
  }

  /** Stops every run because the server shuts down. */
  async shutdown(): Promise<void> {
    this.closing.abort()
    await this.stopAll('server-shutdown')
  }

  async stopAll(reason: StopReason): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.stop(reason).catch(() => undefined)))
  }
}
