/**
 * The shapes every module agrees on. Field names and string values are the wire format of the
 * original openRuntime API (docs/api.md), so a client written for it keeps working.
 */

export const RUNNERS = ['shell', 'claude-code', 'codex'] as const
export type RunnerKind = (typeof RUNNERS)[number]

/** How people call each runner; everything else about a runner is in src/workers/runners/. */
export const RUNNER_LABELS: Record<RunnerKind, string> = {
  shell: 'Shell',
  'claude-code': 'Claude Code',
  codex: 'Codex',
}

export const TASK_STATUSES = [
  'queued',
  'running',
  'needs-input',
  'ready-for-review',
  'completed',
  'failed',
  'stopped',
] as const
export type TaskStatus = (typeof TASK_STATUSES)[number]

export const EVENT_KINDS = ['lifecycle', 'stdout', 'stderr', 'diff', 'input', 'error'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

export const NETWORK_MODES = ['disabled', 'localhost', 'enabled'] as const
export type NetworkMode = (typeof NETWORK_MODES)[number]

export interface TaskPolicy {
  allow_network: boolean
  allow_git_write: boolean
  allow_secrets: boolean
  require_approval: boolean
  blocked_commands: string[]
  allowed_workspaces: string[]
  allowed_file_globs: string[]
  allowed_mcp_tools: string[]
  network_mode: NetworkMode
  budget_cents: number | null
  max_runtime_minutes: number | null
}

/**
 * Per-run resource limits: processes (threads count too) and memory of everything the run
 * starts, and the output stored for one attempt (past it the run is stopped).
 */
export interface RunLimitsPolicy {
  max_processes: number
  max_memory_mb: number
  max_output_mb: number
}

export const DEFAULT_RUN_LIMITS: RunLimitsPolicy = {
  max_processes: 1024,
  max_memory_mb: 4096,
  max_output_mb: 64,
}

/**
 * The policy the runtime enforces: the wire `TaskPolicy` plus what this runtime adds.
 * `require_sandbox` refuses to start a task when bubblewrap cannot run; `approval_timeout_seconds`
 * bounds how long a tool approval may wait before it counts as refused; `allow_in_place` lets a
 * task run directly in a workspace outside git (no worktree to isolate it: that folder is what it
 * changes).
 */
export type EffectivePolicy = TaskPolicy &
  RunLimitsPolicy & { require_sandbox: boolean; approval_timeout_seconds: number; allow_in_place: boolean }

export const DEFAULT_BLOCKED_COMMANDS = ['rm -rf', 'sudo', 'git push', 'curl', 'wget', 'ssh', 'scp']

export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 600

export function defaultPolicy(): EffectivePolicy {
  return {
    allow_network: false,
    allow_git_write: false,
    allow_secrets: false,
    require_approval: false,
    blocked_commands: [...DEFAULT_BLOCKED_COMMANDS],
    allowed_workspaces: [],
    allowed_file_globs: [],
    allowed_mcp_tools: [],
    network_mode: 'disabled',
    budget_cents: null,
    max_runtime_minutes: null,
    require_sandbox: false,
    approval_timeout_seconds: DEFAULT_APPROVAL_TIMEOUT_SECONDS,
    allow_in_place: false,
    ...DEFAULT_RUN_LIMITS,
  }
}

/** `input_tokens` excludes cached ones: input, cache reads and cache writes are disjoint. */
export interface CostLedger {
  runtime_millis: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  tool_calls: number
  estimated_cents: number
}

export function emptyLedger(): CostLedger {
  return {
    runtime_millis: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    tool_calls: 0,
    estimated_cents: 0,
  }
}

/** The ledger with every figure of `delta` added. */
export function addToLedger(ledger: CostLedger, delta: Partial<CostLedger>): CostLedger {
  const sum = { ...ledger }
  for (const key of Object.keys(sum) as (keyof CostLedger)[]) sum[key] += delta[key] ?? 0
  return sum
}

export type JsonObject = Record<string, unknown>

/** A task as stored, without its embedded collections. */
export interface TaskRecord {
  id: string
  title: string
  prompt: string
  runner: RunnerKind
  command: string
  /** The model an agent runner is asked to use; null leaves the CLI's default. */
  model: string | null
  workspace: string
  worktree_path: string | null
  execution_workspace: string | null
  runner_session_id: string | null
  base_commit: string | null
  diff_stat: string | null
  approved_at: string | null
  worktree_merged_at: string | null
  worktree_cleaned_at: string | null
  status: TaskStatus
  budget_minutes: number
  policy: EffectivePolicy
  effective_policy: EffectivePolicy | null
  cost_ledger: CostLedger
  created_at: string
  updated_at: string
}

export interface AttemptRecord {
  id: string
  task_id: string
  attempt_number: number
  runner: RunnerKind
  status: TaskStatus
  execution_workspace: string | null
  runner_session_id: string | null
  started_at: string
  finished_at: string | null
  exit_status: string | null
  summary: string | null
  /** Whether the runner process ran inside the bubblewrap sandbox; null before it started. */
  sandboxed: boolean | null
  /** Whether it ran in its own worktree; null before the workspace was prepared. */
  isolated: boolean | null
  /** The limits it ran under and how each was enforced; null before its process started. */
  limits: RunLimitsRecord | null
  cost_ledger: CostLedger
}

/** How a limit was enforced: by a cgroup the server made, by rlimits on the run's processes, or not at all. */
export const LIMIT_MECHANISMS = ['cgroup-v1', 'cgroup-v2', 'rlimit', 'none'] as const
export type LimitMechanism = (typeof LIMIT_MECHANISMS)[number]

/**
 * What an attempt ran under. `note` says what the mechanism does not cover (or why there is
 * none); the figures after the colon are filled in when the run ended, where the mechanism can tell.
 */
export interface RunLimitsRecord {
  processes: {
    max: number
    enforced_by: LimitMechanism
    note: string | null
    /** Most processes and threads alive at once. */
    peak: number | null
    /** Process or thread creations the limit refused. */
    refused: number | null
  }
  memory: {
    max_mb: number
    enforced_by: LimitMechanism
    note: string | null
    peak_mb: number | null
    /** Processes the kernel killed for passing the limit. */
    oom_kills: number | null
  }
  output: {
    max_mb: number
    /** openRuntime itself counts what it stores. */
    enforced_by: 'openruntime'
    stored_bytes: number | null
    dropped_bytes: number | null
  }
}

export interface TaskEvent {
  /** Unique across all tasks; the per-task order is `seq`. */
  id: string
  task_id: string
  seq: number
  attempt_id: string | null
  kind: EventKind
  message: string
  metadata: JsonObject | null
  created_at: string
}

/** An event before the event log has given it an id, a seq and a time. */
export interface NewEvent {
  attempt_id?: string | null
  kind: EventKind
  message: string
  metadata?: JsonObject | null
}

export const now = (): string => new Date().toISOString()
