import { type Static, Type } from '@sinclair/typebox'
import { CheckListSchema, CriteriaSchema } from './checks'
import { CostLedgerSchema } from './cost-ledger'
import { EffectivePolicySchema } from './policy'
import { NumberInRange } from './ranges'
import { RunnerLabelsSchema } from './runner-host-labels'
import { Nullable, optionalOnWire } from './schema-kit'
import { RunnerSchema, TaskStatusSchema } from './vocabulary'

export const DEFAULT_BUDGET_MINUTES = 15

export const BudgetMinutes = NumberInRange({
  minimum: 0.05,
  maximum: 240,
  description: `runtime budget of each attempt, in minutes; fractions allowed (0.05 is 3 seconds); default ${DEFAULT_BUDGET_MINUTES}`,
})

/** The model an agent runner is asked to use. */
export const ModelName = Type.String()

/**
 * A task as stored, without its embedded collections. Field names are the original openRuntime's
 * (its API shape is this record plus the collections, see task-view.ts).
 */
export const TaskRecordSchema = Type.Object({
  id: Type.String(),
  title: Type.String({ description: 'non-blank title' }),
  prompt: Type.String({ description: 'the goal for agent runners (may be empty for shell)' }),
  runner: RunnerSchema,
  /** A shell task's command; an agent task's placeholder text (the original's format). */
  command: Type.String(),
  /** Null leaves the CLI's default. */
  model: optionalOnWire(Nullable(ModelName)),
  workspace: Type.String(),
  worktree_path: Nullable(Type.String()),
  execution_workspace: Nullable(Type.String()),
  runner_session_id: Nullable(Type.String()),
  base_commit: Nullable(Type.String()),
  diff_stat: Nullable(Type.String()),
  approved_at: Nullable(Type.String()),
  worktree_merged_at: Nullable(Type.String()),
  worktree_cleaned_at: Nullable(Type.String()),
  status: TaskStatusSchema,
  budget_minutes: BudgetMinutes,
  /** As submitted, with every default filled in. */
  policy: EffectivePolicySchema,
  /** Frozen at the first start, for every later attempt. */
  effective_policy: Nullable(EffectivePolicySchema),
  cost_ledger: CostLedgerSchema,
  /** Placement: the labels a runner host must have to run it; none runs it on this machine. */
  runner_labels: optionalOnWire(RunnerLabelsSchema),
  /** The group of variants the task is one of (POST /tasks with `variants`); null for a task of its own. */
  group_id: optionalOnWire(Nullable(Type.String())),
  /** Checks of its own, run after the workspace's (one of the same name replaces the workspace's). */
  checks: optionalOnWire(CheckListSchema),
  /** Acceptance criteria a reviewer run grades the diff against. */
  criteria: optionalOnWire(CriteriaSchema),
  created_at: Type.String(),
  updated_at: Type.String(),
})
export type TaskRecord = Static<typeof TaskRecordSchema>

/** The policy a task runs under: frozen at its first start, as submitted before that. */
export const policyInForce = (task: TaskRecord) => task.effective_policy ?? task.policy

/** Each attempt's runtime cap in minutes: the policy's max runtime when set, else the task's budget. */
export function effectiveBudgetMinutes(task: TaskRecord): number {
  return policyInForce(task).max_runtime_minutes ?? task.budget_minutes
}
