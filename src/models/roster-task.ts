import { type Static, Type } from '@sinclair/typebox'
import { AttemptViewSchema } from './attempt'
import { Nullable } from './schema-kit'
import { TaskViewSchema } from './task-view'

/**
 * A task as a roster entry shows it: who it is, where it stands and how far it got. Every page
 * lists a hundred of these beside itself, and a roster refreshes on every status change, so it
 * reads these few columns instead of each task's whole view (policies, every attempt).
 */
export const RosterTaskSchema = Type.Composite([
  Type.Pick(TaskViewSchema, [
    'id',
    'title',
    'status',
    'state',
    'runner',
    'workspace',
    'group_id',
    'created_at',
    'diff_stat',
    'check_summary',
  ]),
  Type.Object({
    /** The newest attempt's times; null before any ran. */
    current_attempt: Nullable(Type.Pick(AttemptViewSchema, ['started_at', 'finished_at'])),
    /** The task's runtime so far (its cost ledger's). */
    runtime_millis: Type.Number(),
  }),
])
export type RosterTask = Static<typeof RosterTaskSchema>
