import { type Static, Type } from '@sinclair/typebox'
import { Nullable, StringEnum } from './schema-kit'
import { TaskRecordSchema } from './task'

export const FILE_STATUSES = ['added', 'modified', 'deleted', 'renamed'] as const
export const FileStatusSchema = StringEnum(FILE_STATUSES, 'how the file changed')
export type FileStatus = Static<typeof FileStatusSchema>

export const DiffFileSchema = Type.Object({
  path: Type.String(),
  /** A renamed file's path before. */
  old_path: Type.Optional(Type.String()),
  status: FileStatusSchema,
  additions: Type.Integer(),
  deletions: Type.Integer(),
  binary: Type.Boolean(),
})
export type DiffFile = Static<typeof DiffFileSchema>

/** Everything a task changed relative to its base commit. */
export const TaskDiffSchema = Type.Object({
  stat: Type.String(),
  patch: Type.String(),
  files: Type.Array(DiffFileSchema),
  additions: Type.Integer(),
  deletions: Type.Integer(),
  truncated: Type.Boolean(),
  has_changes: Type.Boolean(),
})
export type TaskDiff = Static<typeof TaskDiffSchema>

/** The runner host's snapshot a remote task's diff was read from (absent for a task whose worktree is here). */
export const DiffSnapshotSchema = Type.Object({
  attempt_id: Type.String(),
  commit: Type.String(),
  /** When the host took it, by its clock. */
  taken_at: Type.String(),
  /** How old it was when this diff was read; null when the host's time cannot be read. */
  age_seconds: Nullable(Type.Number({ minimum: 0 })),
})

/** The diff as the API returns it: with the task facts a reviewer needs beside it. */
export const TaskDiffViewSchema = Type.Composite([
  Type.Object({
    task_id: Type.String(),
    isolated: Type.Boolean(),
    snapshot: Type.Optional(DiffSnapshotSchema),
  }),
  Type.Pick(TaskRecordSchema, ['worktree_path', 'runner_session_id', 'base_commit']),
  TaskDiffSchema,
])
export type TaskDiffView = Static<typeof TaskDiffViewSchema>
