import { type Static, Type } from '@sinclair/typebox'
import { Nullable } from './schema-kit'
import { EventKindSchema } from './vocabulary'

export const JsonObjectSchema = Type.Record(Type.String(), Type.Unknown())
export type JsonObject = Static<typeof JsonObjectSchema>

/** One entry of a task's timeline. */
export const TaskEventSchema = Type.Object({
  /** Unique across all tasks; the per-task order is `seq`. */
  id: Type.String(),
  task_id: Type.String(),
  seq: Type.Integer({ description: 'position in the task timeline; only grows' }),
  attempt_id: Nullable(Type.String()),
  kind: EventKindSchema,
  message: Type.String(),
  metadata: Nullable(JsonObjectSchema),
  created_at: Type.String(),
})
export type TaskEvent = Static<typeof TaskEventSchema>

/** An event before the event log has given it an id, a seq and a time. */
export const NewEventSchema = Type.Composite([
  Type.Pick(TaskEventSchema, ['kind', 'message']),
  Type.Partial(Type.Pick(TaskEventSchema, ['attempt_id', 'metadata'])),
])
export type NewEvent = Static<typeof NewEventSchema>
