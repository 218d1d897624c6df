import { type Static, Type } from '@sinclair/typebox'
import { WholeNumberInRange } from './ranges'
import { Nullable, StringEnum } from './schema-kit'

export const DEFAULT_CHECK_TIMEOUT_SECONDS = 600

export const CheckTimeoutSeconds = WholeNumberInRange({
  minimum: 1,
  maximum: 86_400,
  description: `how long the check may run before it counts as timed out (default ${DEFAULT_CHECK_TIMEOUT_SECONDS})`,
})

/** A command that must succeed in the task's worktree for its changes to count as done. */
export const CheckSpecSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '\\S',
      description: 'the check, e.g. "tests"',
    }),
    command: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description: 'run with /bin/sh -lc in the worktree',
    }),
    timeout_seconds: Type.Optional(CheckTimeoutSeconds),
  },
  { additionalProperties: false },
)
export type CheckSpec = Static<typeof CheckSpecSchema>

export const CheckListSchema = Type.Array(CheckSpecSchema, { maxItems: 50 })

/** Sentences the reviewer grades the diff against. */
export const CriteriaSchema = Type.Array(Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S' }), {
  maxItems: 20,
})

export const CHECK_VERDICTS = ['pending', 'running', 'passed', 'failed', 'timed_out'] as const
export const CheckVerdictSchema = StringEnum(CHECK_VERDICTS, 'check verdict')
export type CheckVerdict = Static<typeof CheckVerdictSchema>

/** What one check did in one round. */
export const CheckResultSchema = Type.Object({
  name: Type.String(),
  command: Type.String(),
  timeout_seconds: Type.Integer(),
  verdict: CheckVerdictSchema,
  /** "exit status: 1", "signal: SIGKILL"; null until it ended. */
  exit_status: Nullable(Type.String()),
  duration_ms: Nullable(Type.Integer()),
  /** The last lines of its output (redacted as the timeline is). */
  output_tail: Type.String(),
  started_at: Nullable(Type.String()),
  finished_at: Nullable(Type.String()),
})
export type CheckResult = Static<typeof CheckResultSchema>

export const CRITERION_VERDICTS = ['met', 'not_met', 'unclear'] as const
export const CriterionVerdictSchema = StringEnum(CRITERION_VERDICTS, 'criterion verdict')

/** The reviewer's grade of the diff against one criterion. */
export const CriterionGradeSchema = Type.Object({
  criterion: Type.String(),
  verdict: CriterionVerdictSchema,
  reason: Type.String(),
})
export type CriterionGrade = Static<typeof CriterionGradeSchema>

/** Why checks ran: after an attempt with changes, in a round of the fix loop, or on request. */
export const CHECK_TRIGGERS = ['attempt', 'fix-round', 'manual'] as const
export const CheckTriggerSchema = StringEnum(CHECK_TRIGGERS, 'why the checks ran')
export type CheckTrigger = Static<typeof CheckTriggerSchema>

/** Where the fix loop stands after a round: sent the agent back, all green, or out of rounds. */
export const FIX_LOOP_OUTCOMES = ['fixing', 'passed', 'exhausted'] as const
export const FixLoopOutcomeSchema = StringEnum(FIX_LOOP_OUTCOMES, 'fix loop outcome')
export type FixLoopOutcome = Static<typeof FixLoopOutcomeSchema>

export const CHECK_RUN_STATUSES = ['running', 'passed', 'failed', 'stopped'] as const
export const CheckRunStatusSchema = StringEnum(CHECK_RUN_STATUSES, 'check round status')
export type CheckRunStatus = Static<typeof CheckRunStatusSchema>

/** One round of a task's checks, on one attempt. */
export const CheckRunSchema = Type.Object({
  id: Type.String(),
  task_id: Type.String(),
  attempt_id: Type.String(),
  trigger: CheckTriggerSchema,
  /** 0 for the task's own attempt, 1… for each round of the fix loop. */
  fix_round: Type.Integer(),
  status: CheckRunStatusSchema,
  /** Set when the policy has fix rounds: what this round decided. */
  fix_loop: Nullable(FixLoopOutcomeSchema),
  results: Type.Array(CheckResultSchema),
  grades: Type.Array(CriterionGradeSchema),
  /** Why the reviewer could not grade (no agent CLI, a failed run), else null. */
  review_error: Nullable(Type.String()),
  started_at: Type.String(),
  finished_at: Nullable(Type.String()),
})
export type CheckRun = Static<typeof CheckRunSchema>

/** The latest round in brief, as a task (and its roster entry) carries it. */
export const CheckSummarySchema = Type.Object({
  status: CheckRunStatusSchema,
  passed: Type.Integer(),
  total: Type.Integer(),
  /** Criteria graded met, of those graded. */
  met: Type.Integer(),
  graded: Type.Integer(),
  fix_round: Type.Integer(),
  fix_loop: Nullable(FixLoopOutcomeSchema),
})
export type CheckSummary = Static<typeof CheckSummarySchema>

/** `GET /tasks/{id}/checks`. */
export const TaskChecksViewSchema = Type.Object({
  task_id: Type.String(),
  /** What the task is doing: agent, checks, review (its `running` substates), or null when not running. */
  phase: Nullable(Type.String()),
  checks: CheckListSchema,
  criteria: CriteriaSchema,
  fix_rounds: Type.Integer(),
  require_checks: Type.Boolean(),
  latest: Nullable(CheckRunSchema),
  /** Every round, newest first. */
  runs: Type.Array(CheckRunSchema),
})
export type TaskChecksView = Static<typeof TaskChecksViewSchema>
