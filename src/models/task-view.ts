import { type Static, Type } from '@sinclair/typebox'
import { AttemptViewSchema } from './attempt'
import { CheckSummarySchema } from './checks'
import { TaskEventSchema } from './event'
import { Nullable, optionalOnWire } from './schema-kit'
import { TaskRecordSchema } from './task'

/** The task as the API returns it: the original's shape plus what makes it bounded and live. */
export const TaskViewSchema = Type.Composite([
  TaskRecordSchema,
  Type.Object({
    state: Type.String({ description: 'full machine state, e.g. needs-input.approval' }),
    phase: optionalOnWire(
      Nullable(Type.String(), {
        description:
          'what a running task is doing: agent, checks or review (its running substate); null otherwise',
      }),
    ),
    events: Type.Array(TaskEventSchema),
    attempts: Type.Array(AttemptViewSchema),
    current_attempt: Nullable(AttemptViewSchema),
    /** Seq of the newest event: a client continues the stream from here. */
    last_seq: Type.Integer(),
    event_count: Type.Integer(),
    /** Events left out of `events` (older ones; page them with GET /tasks/{id}/events). */
    events_truncated: Type.Boolean(),
    sandboxed: optionalOnWire(
      Nullable(Type.Boolean(), {
        description: 'whether the latest attempt ran inside the bubblewrap sandbox; null before any ran',
      }),
    ),
    check_summary: optionalOnWire(
      Nullable(CheckSummarySchema, {
        description:
          'the latest round of checks in brief (GET /tasks/{id}/checks has them all); null before any ran',
      }),
    ),
    isolated: optionalOnWire(
      Nullable(Type.Boolean(), {
        description: 'whether the latest attempt ran in its own worktree; null before any ran',
      }),
    ),
    pull_request_url: optionalOnWire(
      Nullable(Type.String(), { description: 'the pull (merge) request opened for the task, if any' }),
    ),
  }),
])
export type TaskView = Static<typeof TaskViewSchema>
