import { type Static, Type } from '@sinclair/typebox'
import { WholeNumberInRange } from './ranges'
import { Nullable, optionalOnWire } from './schema-kit'
import { NetworkModeSchema } from './vocabulary'

export const DEFAULT_BLOCKED_COMMANDS = ['rm -rf', 'sudo', 'git push', 'curl', 'wget', 'ssh', 'scp']
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 600
export const DEFAULT_RUN_LIMITS = { max_processes: 1024, max_memory_mb: 4096, max_output_mb: 64 } as const

/**
 * Every number a policy holds, with its range. A value outside is refused at the edge (the API's
 * schemas, the dispatch form), never clamped or rounded.
 */
export const BudgetCents = WholeNumberInRange({
  minimum: 0,
  maximum: 10_000_000,
  description: 'cost budget in whole US cents, against the cost the agents report',
})
export const MaxRuntimeMinutes = WholeNumberInRange({
  minimum: 1,
  maximum: 1440,
  description: 'runtime cap of each attempt in whole minutes; when set it overrides budget_minutes',
})
export const ApprovalTimeoutSeconds = WholeNumberInRange({
  minimum: 1,
  maximum: 86_400,
  description: `an agent's tool approval left unanswered this long (seconds) is denied (default ${DEFAULT_APPROVAL_TIMEOUT_SECONDS})`,
})
export const MaxProcesses = WholeNumberInRange({
  minimum: 16,
  maximum: 1_000_000,
  description: `processes and threads the run may have at once (default ${DEFAULT_RUN_LIMITS.max_processes})`,
})
export const MaxMemoryMb = WholeNumberInRange({
  minimum: 32,
  maximum: 1_048_576,
  description: `memory of everything the run starts, in MiB (default ${DEFAULT_RUN_LIMITS.max_memory_mb})`,
})
export const MaxOutputMb = WholeNumberInRange({
  minimum: 1,
  maximum: 100_000,
  description: `output stored per attempt, in MiB; past it the run is stopped (default ${DEFAULT_RUN_LIMITS.max_output_mb})`,
})

export const FixRounds = WholeNumberInRange({
  minimum: 0,
  maximum: 10,
  description:
    'rounds of the fix loop: a failed check sends the agent a follow-up and the checks run again (default 0)',
})

const List = Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 200 })

/** The policy of the original openRuntime: what a client written for it sends and reads. */
export const TaskPolicySchema = Type.Object({
  allow_network: Type.Boolean(),
  allow_git_write: Type.Boolean(),
  allow_secrets: Type.Boolean(),
  require_approval: Type.Boolean(),
  blocked_commands: List,
  allowed_workspaces: List,
  allowed_file_globs: List,
  allowed_mcp_tools: List,
  network_mode: NetworkModeSchema,
  budget_cents: Nullable(BudgetCents),
  max_runtime_minutes: Nullable(MaxRuntimeMinutes),
})
export type TaskPolicy = Static<typeof TaskPolicySchema>

/**
 * Per-run resource limits: processes (threads count too) and memory of everything the run
 * starts, and the output stored for one attempt (past it the run is stopped).
 */
export const RunLimitsPolicySchema = Type.Object({
  max_processes: optionalOnWire(MaxProcesses),
  max_memory_mb: optionalOnWire(MaxMemoryMb),
  max_output_mb: optionalOnWire(MaxOutputMb),
})
export type RunLimitsPolicy = Static<typeof RunLimitsPolicySchema>

/**
 * What this runtime adds to the policy. `require_sandbox` refuses to start a task when bubblewrap
 * cannot run; `approval_timeout_seconds` bounds how long a tool approval may wait before it counts
 * as refused; `allow_in_place` lets a task run directly in a workspace outside git (no worktree to
 * isolate it: that folder is what it changes).
 */
const RuntimePolicySchema = Type.Object({
  require_sandbox: optionalOnWire(
    Type.Boolean({ description: 'refuse to start (412) where the bubblewrap sandbox cannot run' }),
  ),
  approval_timeout_seconds: optionalOnWire(ApprovalTimeoutSeconds),
  allow_in_place: optionalOnWire(
    Type.Boolean({
      description:
        'let the task run directly in a workspace outside git, which it then changes (default false: refused)',
    }),
  ),
  fix_rounds: optionalOnWire(FixRounds),
  require_checks: optionalOnWire(
    Type.Boolean({
      description: 'refuse a merge (409) unless the latest checks passed; a forced merge records who and why',
    }),
  ),
})

/** The policy the runtime enforces: every field present, as `normalizePolicy` makes it. */
export const EffectivePolicySchema = Type.Composite([
  TaskPolicySchema,
  RuntimePolicySchema,
  RunLimitsPolicySchema,
])
export type EffectivePolicy = Static<typeof EffectivePolicySchema>

/** A policy as a request carries it: any field may be left out (its default applies), none added. */
export const PolicyInputSchema = Type.Partial(EffectivePolicySchema, { additionalProperties: false })
export type PolicyInput = Static<typeof PolicyInputSchema>

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
    fix_rounds: 0,
    require_checks: false,
    ...DEFAULT_RUN_LIMITS,
  }
}
