import type { NewEvent, RunnerKind } from '../domain'

/**
 * The border between the supervisor and the agent CLIs. An adapter knows one CLI's flags and wire
 * protocol; it never spawns anything itself. The supervisor spawns `buildLaunch()`'s argv, feeds
 * every output line to the session and writes what the session asks for to the process's stdin.
 */

export type AgentRunner = Exclude<RunnerKind, 'shell'>

/** `supervised`: every tool use the CLI would ask about becomes an approval request. `auto`: none. */
export type PermissionMode = 'supervised' | 'auto'

export interface AvailabilityOptions {
  /** An explicit binary (OPENRUNTIME_CLAUDE_BIN / OPENRUNTIME_CODEX_BIN); it wins over PATH. */
  bin?: string
  /** The PATH to search; the server's own by default. */
  path?: string
}

export interface Availability {
  runner: AgentRunner
  available: boolean
  /** Absolute path of the binary found, even when it turned out to be unusable. */
  path: string | null
  version: string | null
  /** Why the runner is unavailable; null when it is available. */
  reason: string | null
}

export interface LaunchRequest {
  /** The binary to run, usually `Availability.path`. */
  bin: string
  cwd: string
  model?: string
  permissionMode: PermissionMode
  /** Continue this earlier session (Claude session id, Codex thread id) in a new process. */
  resumeSessionId?: string
  /** Claude only: the id for a new session, chosen up front so it is known before any output. */
  sessionId?: string
  /** Appended after the adapter's own flags (e.g. `-c model_provider=…` for Codex). */
  extraArgs?: string[]
  /** Applied last, over the adapter's own variables. */
  extraEnv?: Record<string, string>
  /** The environment to start from; already scrubbed by the caller's policy. */
  baseEnv: Record<string, string | undefined>
}

export interface Launch {
  argv: string[]
  env: Record<string, string>
  cwd: string
  /** The session id known before the process starts (Claude), else null until a `session` signal. */
  sessionId: string | null
}

/** The part of a launch request a live session needs to drive the protocol. */
export type SessionRequest = Pick<LaunchRequest, 'cwd' | 'model' | 'permissionMode' | 'resumeSessionId'>

export interface AgentIO {
  /** Writes one protocol line (without newline) to the process's stdin. */
  writeLine(line: string): void
}

/**
 * Facts the supervisor acts on, separate from the events it stores. Usage figures are deltas
 * since the previous usage signal of the same session, so summing them never counts twice.
 * `input_tokens` excludes cached tokens: input, cache reads and cache writes are disjoint.
 */
export type AgentSignal =
  | { type: 'session'; id: string }
  | { type: 'approval-request'; id: string; tool: string; input: unknown }
  | { type: 'turn-complete'; isError: boolean }
  | {
      type: 'usage'
      input_tokens: number
      output_tokens: number
      cache_read_tokens: number
      cache_write_tokens: number
      cost_usd?: number
    }
  | { type: 'tool-call' }

export type UsageSignal = Extract<AgentSignal, { type: 'usage' }>

export interface AgentOutput {
  /** Timeline events; kind `stdout` for agent output, `stderr` for the CLI's logs, `error` for errors. */
  events: NewEvent[]
  signals: AgentSignal[]
}

export interface ApprovalAnswer {
  allow: boolean
  /** Shown to the agent when denying (Claude); Codex has no channel for it. */
  message?: string
}

/** One live CLI process speaking its stdin/stdout protocol. */
export interface AgentSession {
  /** Starts the conversation with the first prompt (and, for Codex, the handshake). */
  begin(prompt: string): void
  onStdoutLine(line: string): AgentOutput
  onStderrLine(line: string): AgentOutput
  /**
   * The next user turn in the same live process. Sent while a turn runs, Claude queues it as the
   * following turn, while Codex adds it to the running turn; so send it after `turn-complete`.
   */
  sendUserTurn(text: string): void
  /** Asks the CLI to stop the current turn; false when no turn is running. */
  interrupt(): boolean
  /** Answers an `approval-request` signal; false when the id is unknown or already answered. */
  answerApproval(requestId: string, answer: ApprovalAnswer): boolean
}

import type { AgentState } from './state'

export interface AgentAdapter {
  readonly runner: AgentRunner
  availability(options?: AvailabilityOptions): Promise<Availability>
  /** Where the CLI keeps its state and its configuration, given its launch environment. */
  state(env: Record<string, string>): AgentState
  buildLaunch(request: LaunchRequest): Launch
  createSession(request: SessionRequest, io: AgentIO): AgentSession
  /** The model API base URLs a launch uses: what it is configured with, else the CLI's default. */
  modelApi(launch: Pick<Launch, 'argv' | 'env'>): string[]
}
