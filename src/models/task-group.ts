import { type Static, Type } from '@sinclair/typebox'
import { CheckSummarySchema } from './checks'
import { CostLedgerSchema } from './cost-ledger'
import { DiffFileSchema, TaskDiffSchema } from './diff'
import { WholeNumberInRange } from './ranges'
import { Nullable, StringEnum } from './schema-kit'
import { ModelName } from './task'
import { RunnerSchema, TaskStatusSchema } from './vocabulary'

export const MAX_VARIANTS = 8

/** How many variants a count asks for. */
export const VariantCount = WholeNumberInRange({
  minimum: 1,
  maximum: MAX_VARIANTS,
  description: 'the same runner this many times',
})

/** One way of trying the group's goal: its own runner, and optionally model, prompt suffix and preset. */
export const VariantSpecSchema = Type.Object(
  {
    runner: RunnerSchema,
    model: Type.Optional(
      Nullable(Type.String({ maxLength: 200, description: 'the model an agent variant uses' })),
    ),
    prompt_suffix: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 20_000,
          description:
            "added on a line of its own after the goal (an agent's prompt, a shell variant's command)",
        }),
      ),
    ),
    policy_preset: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 64,
          description: "a permission preset (GET /policies/presets) instead of the request's policy",
        }),
      ),
    ),
  },
  { additionalProperties: false },
)
export type VariantSpec = Static<typeof VariantSpecSchema>

/** `variants` of `POST /tasks`: a count (the request's runner that many times) or a list of variants. */
export const VariantsSchema = Type.Union(
  [VariantCount, Type.Array(VariantSpecSchema, { minItems: 1, maxItems: MAX_VARIANTS })],
  { description: `a group of up to ${MAX_VARIANTS} variants, each an ordinary task` },
)

/** A variant as the group keeps it: what it was asked to be, and the tree of its result the server captured. */
export const GroupVariantSchema = Type.Object({
  task_id: Type.String(),
  runner: RunnerSchema,
  model: Nullable(ModelName),
  prompt_suffix: Nullable(Type.String()),
  policy_preset: Nullable(Type.String()),
  /** Written by the server (never read from a ref a run could move): the result last seen. */
  result_tree: Nullable(Type.String()),
})
export type GroupVariant = Static<typeof GroupVariantSchema>

export const PICK_STATES = ['picking', 'picked'] as const
const PickStateSchema = StringEnum(PICK_STATES, 'where the pick stands')

export const TaskGroupRecordSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  goal: Type.String({ description: "the agents' goal (empty for shell)" }),
  command: Type.String({ description: 'the shell command before any variant suffix (empty for agents)' }),
  workspace: Type.String(),
  variants: Type.Array(GroupVariantSchema),
  pick_state: Nullable(PickStateSchema),
  picked_task_id: Nullable(Type.String()),
  pick_strategy: Nullable(Type.String()),
  pick_note: Nullable(Type.String()),
  picked_at: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})
export type TaskGroupRecord = Static<typeof TaskGroupRecordSchema>

const Tokens = Type.Object({
  input: Type.Number(),
  output: Type.Number(),
  cache_read: Type.Number(),
  cache_write: Type.Number(),
})

/** One variant in the group resource: its task's state and what it cost and changed. */
export const VariantViewSchema = Type.Object({
  task_id: Type.String(),
  position: Type.Integer({ description: 'its place in the group, from 1' }),
  title: Type.String(),
  runner: RunnerSchema,
  model: Nullable(ModelName),
  prompt_suffix: Nullable(Type.String()),
  policy_preset: Nullable(Type.String()),
  status: Nullable(TaskStatusSchema, { description: 'null once the task was deleted' }),
  state: Nullable(Type.String()),
  duration_ms: Type.Number({ description: 'time its attempts ran (the running one up to now)' }),
  tokens: Tokens,
  cost_cents: Type.Number(),
  cost_ledger: Nullable(CostLedgerSchema),
  diff_stat: Nullable(Type.String()),
  additions: Type.Integer(),
  deletions: Type.Integer(),
  files: Type.Array(DiffFileSchema),
  result_tree: Nullable(Type.String()),
  archived: Type.Boolean({ description: 'its worktree was cleaned up (restorable from its archive)' }),
  merged: Type.Boolean(),
  verdicts: Nullable(CheckSummarySchema, {
    description:
      "its latest round of checks and criteria in brief (as the task's check_summary); null when none ran",
  }),
})
export type VariantView = Static<typeof VariantViewSchema>

export const TaskGroupViewSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  goal: Type.String(),
  command: Type.String(),
  workspace: Type.String(),
  created_at: Type.String(),
  status: Type.String({
    description: 'running while any variant is queued, running or needs input; else settled, or picked',
  }),
  variants: Type.Array(VariantViewSchema),
  /** Files more than one variant changed, with who changed each. */
  shared_files: Type.Array(Type.Object({ path: Type.String(), task_ids: Type.Array(Type.String()) })),
  pick: Nullable(
    Type.Object({
      state: PickStateSchema,
      task_id: Type.String(),
      strategy: Nullable(Type.String()),
      note: Nullable(Type.String()),
      picked_at: Nullable(Type.String()),
    }),
  ),
})
export type TaskGroupView = Static<typeof TaskGroupViewSchema>

/** A group in the list: who is in it and how they stand, without their diffs. */
export const TaskGroupSummarySchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  workspace: Type.String(),
  created_at: Type.String(),
  status: Type.String(),
  variants: Type.Array(
    Type.Object({
      task_id: Type.String(),
      runner: RunnerSchema,
      model: Nullable(ModelName),
      status: Nullable(TaskStatusSchema),
    }),
  ),
  picked_task_id: Nullable(Type.String()),
})
export type TaskGroupSummary = Static<typeof TaskGroupSummarySchema>

/** Two variants' results compared directly: what turns a's result into b's. */
export const VariantCompareSchema = Type.Composite([
  Type.Object({
    group_id: Type.String(),
    a: Type.String(),
    b: Type.String(),
    a_tree: Type.String(),
    b_tree: Type.String(),
  }),
  TaskDiffSchema,
])
export type VariantCompare = Static<typeof VariantCompareSchema>

export const PickBodySchema = Type.Object(
  {
    task_id: Type.String({ format: 'uuid', description: 'the variant to keep' }),
    strategy: Type.Optional(
      StringEnum(['apply', 'commit'], 'how it is merged (as POST /tasks/{id}/worktree/merge)'),
    ),
    note: Type.Optional(Nullable(Type.String({ maxLength: 10_000 }))),
    message: Type.Optional(Nullable(Type.String({ maxLength: 10_000, description: 'the commit message' }))),
  },
  { additionalProperties: false },
)
export type PickBody = Static<typeof PickBodySchema>
