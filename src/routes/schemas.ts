import { Type } from '@sinclair/typebox'
import { t } from 'elysia'
import { EVENT_KINDS, LIMIT_MECHANISMS, NETWORK_MODES, RUNNERS, TASK_STATUSES } from '../domain'
import { INPUT_RANGES, type RangedField } from '../input-ranges'

/**
 * One of the given strings. Elysia's UnionEnum gives itself a default (its first value), which an
 * optional query parameter would then take when absent (`GET /tasks` listed only shell tasks), so
 * the default is dropped.
 */
const literals = <const T extends readonly [string, ...string[]]>(values: T, description: string) => {
  const { default: _firstValue, ...schema } = t.UnionEnum(values, {
    description: `${description}: one of ${values.join(', ')}`,
  })
  return schema as ReturnType<typeof t.UnionEnum<T>>
}

export const Runner = literals(RUNNERS, 'runner')
export const Status = literals(TASK_STATUSES, 'task status')
export const EventKind = literals(EVENT_KINDS, 'event kind')
export const NetworkMode = literals(NETWORK_MODES, 'network mode')

export const Uuid = t.String({ format: 'uuid', description: 'task id (UUID)' })
export const TaskParams = t.Object({ id: Uuid })

const BoundedString = (maxLength: number) => t.String({ maxLength })
const StringList = t.Array(BoundedString(4096), { maxItems: 200 })

/**
 * A number in its field's range (src/input-ranges.ts). Whole numbers use TypeBox's own Integer:
 * Elysia's `t.Integer` also takes numeric strings, which suits a query string, not a JSON body.
 */
const Ranged = (field: RangedField) => {
  const { minimum, maximum, integer, description } = INPUT_RANGES[field]
  return (integer ? Type.Integer : t.Number)({ minimum, maximum, description })
}

export const PolicyInput = t.Object(
  {
    allow_network: t.Optional(t.Boolean()),
    allow_git_write: t.Optional(t.Boolean()),
    allow_secrets: t.Optional(t.Boolean()),
    require_approval: t.Optional(t.Boolean()),
    blocked_commands: t.Optional(StringList),
    allowed_workspaces: t.Optional(StringList),
    allowed_file_globs: t.Optional(StringList),
    allowed_mcp_tools: t.Optional(StringList),
    network_mode: t.Optional(NetworkMode),
    budget_cents: t.Optional(t.Union([Ranged('budget_cents'), t.Null()])),
    max_runtime_minutes: t.Optional(t.Union([Ranged('max_runtime_minutes'), t.Null()])),
    require_sandbox: t.Optional(
      t.Boolean({ description: 'refuse to start (412) where the bubblewrap sandbox cannot run' }),
    ),
    approval_timeout_seconds: t.Optional(Ranged('approval_timeout_seconds')),
    allow_in_place: t.Optional(
      t.Boolean({
        description:
          'let the task run directly in a workspace outside git, which it then changes (default false: refused)',
      }),
    ),
    max_processes: t.Optional(Ranged('max_processes')),
    max_memory_mb: t.Optional(Ranged('max_memory_mb')),
    max_output_mb: t.Optional(Ranged('max_output_mb')),
  },
  { additionalProperties: false },
)

export const Policy = t.Object({
  allow_network: t.Boolean(),
  allow_git_write: t.Boolean(),
  allow_secrets: t.Boolean(),
  require_approval: t.Boolean(),
  blocked_commands: t.Array(t.String()),
  allowed_workspaces: t.Array(t.String()),
  allowed_file_globs: t.Array(t.String()),
  allowed_mcp_tools: t.Array(t.String()),
  network_mode: NetworkMode,
  budget_cents: t.Union([t.Number(), t.Null()]),
  max_runtime_minutes: t.Union([t.Number(), t.Null()]),
  require_sandbox: t.Optional(t.Boolean()),
  approval_timeout_seconds: t.Optional(t.Number()),
  allow_in_place: t.Optional(t.Boolean()),
  max_processes: t.Optional(t.Integer()),
  max_memory_mb: t.Optional(t.Integer()),
  max_output_mb: t.Optional(t.Integer()),
})

export const CreateTaskBody = t.Object(
  {
    title: t.String({ maxLength: 500, description: 'non-blank title' }),
    prompt: t.String({
      maxLength: 200_000,
      description: 'the goal for agent runners (may be empty for shell)',
    }),
    runner: Runner,
    command: t.Optional(t.Union([t.String({ maxLength: 100_000 }), t.Null()])),
    model: t.Optional(
      t.Union([
        t.String({ maxLength: 200, description: 'the model an agent runner uses (its default when absent)' }),
        t.Null(),
      ]),
    ),
    workspace: t.Optional(t.Union([t.String({ maxLength: 4096 }), t.Null()])),
    budget_minutes: t.Optional(t.Union([Ranged('budget_minutes'), t.Null()])),
    policy: t.Optional(t.Union([PolicyInput, t.Null()])),
  },
  { additionalProperties: false },
)

export const Event = t.Object({
  id: t.String(),
  task_id: t.String(),
  seq: t.Integer({ description: 'position in the task timeline; only grows' }),
  attempt_id: t.Union([t.String(), t.Null()]),
  kind: EventKind,
  message: t.String(),
  metadata: t.Union([t.Record(t.String(), t.Unknown()), t.Null()]),
  created_at: t.String(),
})

const NullableBoolean = t.Union([t.Boolean(), t.Null()])

export const CostLedger = t.Object({
  runtime_millis: t.Number(),
  input_tokens: t.Number({ description: 'uncached input tokens' }),
  output_tokens: t.Number(),
  cache_read_tokens: t.Number(),
  cache_write_tokens: t.Number(),
  tool_calls: t.Number(),
  estimated_cents: t.Number(),
})

const NullableInteger = t.Union([t.Integer(), t.Null()])
const Mechanism = literals(LIMIT_MECHANISMS, 'how a limit was enforced')

export const RunLimits = t.Object(
  {
    processes: t.Object({
      max: t.Integer(),
      enforced_by: Mechanism,
      note: t.Union([t.String(), t.Null()], {
        description: 'what the mechanism does not cover, or why none',
      }),
      peak: t.Optional(NullableInteger),
      refused: t.Optional(t.Union([t.Integer(), t.Null()], { description: 'forks the limit refused' })),
    }),
    memory: t.Object({
      max_mb: t.Integer(),
      enforced_by: Mechanism,
      note: t.Union([t.String(), t.Null()]),
      peak_mb: t.Optional(NullableInteger),
      oom_kills: t.Optional(NullableInteger),
    }),
    output: t.Object({
      max_mb: t.Integer(),
      enforced_by: t.Literal('openruntime'),
      stored_bytes: t.Optional(NullableInteger),
      dropped_bytes: t.Optional(NullableInteger),
    }),
  },
  { description: 'the limits the attempt ran under and how each was enforced' },
)

export const Attempt = t.Object({
  id: t.String(),
  task_id: t.String(),
  attempt_number: t.Integer(),
  runner: Runner,
  status: Status,
  execution_workspace: t.Union([t.String(), t.Null()]),
  runner_session_id: t.Union([t.String(), t.Null()]),
  started_at: t.String(),
  finished_at: t.Union([t.String(), t.Null()]),
  exit_status: t.Union([t.String(), t.Null()]),
  summary: t.Union([t.String(), t.Null()]),
  sandboxed: t.Optional(NullableBoolean),
  isolated: t.Optional(NullableBoolean),
  limits: t.Optional(t.Union([RunLimits, t.Null()])),
  cost_ledger: t.Optional(CostLedger),
})

const NullableString = t.Union([t.String(), t.Null()])

export const Task = t.Object({
  id: t.String(),
  title: t.String(),
  prompt: t.String(),
  runner: Runner,
  command: t.String(),
  model: t.Optional(NullableString),
  workspace: t.String(),
  worktree_path: NullableString,
  execution_workspace: NullableString,
  runner_session_id: NullableString,
  base_commit: NullableString,
  diff_stat: NullableString,
  approved_at: NullableString,
  worktree_merged_at: NullableString,
  worktree_cleaned_at: NullableString,
  status: Status,
  state: t.String({ description: 'full machine state, e.g. needs-input.approval' }),
  budget_minutes: t.Number(),
  policy: Policy,
  effective_policy: t.Union([Policy, t.Null()]),
  cost_ledger: CostLedger,
  created_at: t.String(),
  updated_at: t.String(),
  events: t.Array(Event),
  attempts: t.Array(Attempt),
  current_attempt: t.Union([Attempt, t.Null()]),
  last_seq: t.Integer(),
  event_count: t.Integer(),
  events_truncated: t.Boolean(),
  sandboxed: t.Optional(
    t.Union([t.Boolean(), t.Null()], {
      description: 'whether the latest attempt ran inside the bubblewrap sandbox; null before any ran',
    }),
  ),
  isolated: t.Optional(
    t.Union([t.Boolean(), t.Null()], {
      description: 'whether the latest attempt ran in its own worktree; null before any ran',
    }),
  ),
})

export const ErrorResponse = t.Object({
  error: t.Object({
    code: t.String(),
    message: t.String(),
    details: t.Optional(t.Record(t.String(), t.Unknown())),
  }),
})

export const EventsEmbedQuery = t.Optional(
  t.String({
    pattern: '^(none|all|[0-9]{1,6})$',
    description: 'embedded events: none, all, or the newest N (default 100)',
  }),
)
