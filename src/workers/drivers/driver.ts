import type { ApprovalAnswer } from '../../agents'
import type { EffectivePolicy, JsonObject, NewEvent, TaskRecord } from '../../domain'
import type { Endpoint } from '../../policy/endpoints'
import type { ProcessSpec, SupervisedProcess, SupervisorHooks } from '../../process/supervise'
import type { ToolApproval } from '../../storage/approvals'
import type { ReplyDelivery, StopReason } from '../live-runs'

/**
 * A driver speaks one kind of runner: what process to start, what its output means, how replies,
 * approvals and stops reach it. The run worker owns everything else (attempt, workspace, sandbox,
 * budgets, the outcome), so every runner ends the same way.
 */

/** What a driver may read of, and do to, the run it drives. */
export interface RunContext {
  readonly task: TaskRecord
  readonly policy: EffectivePolicy
  readonly attemptId: string
  readonly executionDir: string
  readonly stopping: StopReason | null
  /** Appends to the timeline with the attempt id; a returned promise asks the producer to wait. */
  record(event: NewEvent): Promise<void> | null
  /** running → needs-input (does nothing when the run is stopping or already waiting). */
  needInput(reason: string, metadata: JsonObject): void
  /** needs-input → running (does nothing when the run is stopping). */
  resume(why: string): void
  /** Ends the run from inside, e.g. when a budget is spent (nothing when it is already stopping). */
  requestStop(reason: StopReason): void
}

export interface DriverLaunch {
  spec: ProcessSpec
  /** The runner's own state directories, written on every run (writable inside the sandbox). */
  stateDirs: string[]
  /** Its configuration inside those (hooks, MCP servers…): read-only inside the sandbox. */
  configuration?: string[]
  /**
   * What an agent's CLI must reach (its model API). Unless the policy's network mode is `enabled`,
   * its sandbox gets a network of its own in which these endpoints, and only these, are reachable.
   */
  modelApi?: Endpoint[]
  maxLineChars?: number
}

export interface RunDriver {
  readonly hooks: SupervisorHooks
  /** Whether output is redacted as chunks before line splitting (else the driver redacts its events). */
  readonly redactsStream: boolean
  /** The process to start, before sandboxing. Throws an AppError when it cannot start. */
  launch(): Promise<DriverLaunch>
  /** The process is running and recorded. */
  attach(process: SupervisedProcess): void
  reply(text: string): ReplyDelivery | null
  answerApproval(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean
  /** Ends the process, gracefully where the runner has a way. Resolves when it is gone. */
  stop(): Promise<void>
  /** Why the run failed although its process exited 0 (an agent's failed last turn), or null. */
  failure(): string | null
  /** The run is over: timers released, pending requests closed. */
  dispose(): void
}
