import type { AgentSession, AgentSignal, ApprovalAnswer } from '../../agents'
import type {
  CostLedger,
  EffectivePolicy,
  JsonObject,
  NewEvent,
  TaskRecord,
  ToolApproval,
} from '../../domain'
import type { Endpoint } from '../../policy/endpoints'
import type { ProcessSpec, SupervisedProcess, SupervisorHooks } from '../../process/supervise'
import type { ReplyDelivery, StopReason } from '../live-runs'

/**
 * An executor speaks one kind of runner: what process to start, what its output means, how
 * replies, approvals and stops reach it. It has no store and no lifecycle: everything it learns
 * it reports through its context, and the run coordinator (src/workers/run.ts) records it, so
 * every runner ends the same way.
 */

/** The prompt of this attempt: the task's goal, or the follow-up that continues a session. */
export interface RunInput {
  prompt: string
  /** Set for a follow-up: the agent session it continues. */
  resumeSessionId: string | null
}

/** What an executor may read of, and report to, the run it drives. */
export interface ExecutorContext {
  readonly task: TaskRecord
  readonly policy: EffectivePolicy
  readonly attemptId: string
  readonly executionDir: string
  readonly stopping: StopReason | null
  readonly input: RunInput
  /** Appends to the timeline with the attempt id; a returned promise asks the producer to wait. */
  record(event: NewEvent): Promise<void> | null
  /** running → needs-input (does nothing when the run is stopping or already waiting). */
  needInput(reason: string, metadata: JsonObject): void
  /** needs-input → running (does nothing when the run is stopping). */
  resume(why: string): void
  /** Ends the run from inside, e.g. when a budget is spent (nothing when it is already stopping). */
  requestStop(reason: StopReason): void
  /** The agent named its session (the first time, or again after a resume). */
  sessionStarted(id: string): void
  /** Tokens, cost or tool calls the agent reported, as a delta; returns the task's new ledger. */
  charge(delta: Partial<CostLedger>): CostLedger | null
  /** The tool approvals of this attempt, answered through `session`. */
  approvals(session: AgentSession): ApprovalGate
}

/** A run's tool approvals: stored, shown, answered by a user or timed out (see approval-gate.ts). */
export interface ApprovalGate {
  readonly pendingCount: number
  request(signal: Extract<AgentSignal, { type: 'approval-request' }>): void
  answer(approval: ToolApproval, answer: ApprovalAnswer, by: string): boolean
  withdrawn(requestId: string): void
  dispose(): void
}

export interface ExecutorLaunch {
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

export interface RunExecutor {
  readonly hooks: SupervisorHooks
  /** Whether output is redacted as chunks before line splitting (else the executor redacts its events). */
  readonly redactsStream: boolean
  /** The process to start, before sandboxing. Throws an AppError when it cannot start. */
  launch(): Promise<ExecutorLaunch>
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
