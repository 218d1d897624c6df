import { type Static, Type } from '@sinclair/typebox'
import { CostLedgerSchema } from './cost-ledger'
import { RunLimitsRecordSchema } from './run-limits'
import { Nullable, optionalOnWire } from './schema-kit'
import { RunnerSchema, TaskStatusSchema } from './vocabulary'

/** One launch of a task's runner. */
export const AttemptRecordSchema = Type.Object({
  id: Type.String(),
  task_id: Type.String(),
  attempt_number: Type.Integer(),
  runner: RunnerSchema,
  status: TaskStatusSchema,
  execution_workspace: Nullable(Type.String()),
  runner_session_id: Nullable(Type.String()),
  started_at: Type.String(),
  finished_at: Nullable(Type.String()),
  exit_status: Nullable(Type.String()),
  summary: Nullable(Type.String()),
  /** Whether the runner process ran inside the bubblewrap sandbox; null before it started. */
  sandboxed: optionalOnWire(Nullable(Type.Boolean())),
  /** Whether it ran in its own worktree; null before the workspace was prepared. */
  isolated: optionalOnWire(Nullable(Type.Boolean())),
  /** The limits it ran under and how each was enforced; null before its process started. */
  limits: optionalOnWire(Nullable(RunLimitsRecordSchema)),
  cost_ledger: optionalOnWire(CostLedgerSchema),
  /** The runner host it ran on; null when it ran on this machine. */
  runner_host_id: optionalOnWire(Nullable(Type.String())),
})
export type AttemptRecord = Static<typeof AttemptRecordSchema>

/** An attempt as the task's view shows it: with the name of the runner host it ran on. */
export const AttemptViewSchema = Type.Composite([
  AttemptRecordSchema,
  Type.Object({
    runner_host: optionalOnWire(
      Nullable(
        Type.String({
          description: 'the name of the runner host it ran on; null when it ran on this machine',
        }),
      ),
    ),
  }),
])
export type AttemptView = Static<typeof AttemptViewSchema>
