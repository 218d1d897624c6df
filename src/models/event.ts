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

/**
 * The longest line of a run's output an executor is given (a longer one is cut into several):
 * the agent CLIs' protocol lines, which hold whole tool inputs (the shell's lines are shorter).
 * No event a run stores holds more text than one such line in its message, or in its metadata.
 */
export const MAX_LINE_CHARS = 4 * 1024 * 1024

/**
 * The most an event a run stores can take as JSON: its message and its metadata each at most one
 * line (a character is at most 3 bytes of UTF-8, escapes included), and a little more for the
 * fields openRuntime adds.
 */
export const MAX_EVENT_JSON_BYTES = 2 * 3 * MAX_LINE_CHARS + 64 * 1024
