import { type Static, Type } from '@sinclair/typebox'
import { Nullable, StringEnum } from './schema-kit'

export const COMMENT_SIDES = ['old', 'new'] as const
export const CommentSideSchema = StringEnum(COMMENT_SIDES, 'which side of the diff the line is on')
export type CommentSide = Static<typeof CommentSideSchema>

/** A diff line as the review showed it: its side's line number and its text. */
export const DiffLineSchema = Type.Object({ line: Type.Integer(), text: Type.String() })
export type DiffLine = Static<typeof DiffLineSchema>

/** A reviewer's remark on one line of a task's diff, or on a whole file (side and line null). */
export const ReviewCommentSchema = Type.Object({
  id: Type.String(),
  task_id: Type.String(),
  author: Type.String(),
  path: Type.String(),
  side: Nullable(CommentSideSchema),
  line: Nullable(Type.Integer()),
  body: Type.String(),
  /** The commented line as the diff showed it when the comment was made. */
  line_text: Nullable(Type.String()),
  /** A few lines of the same side around it, the commented one included. */
  context: Type.Array(DiffLineSchema),
  /** The attempt whose diff the comment was last found in. */
  attempt_id: Nullable(Type.String()),
  sent_at: Nullable(Type.String({ description: 'when "send to agent" included it in a follow-up' })),
  outdated_at: Nullable(
    Type.String({ description: 'when a later attempt was found to have changed its hunk' }),
  ),
  resolved_at: Nullable(Type.String()),
  resolved_by: Nullable(Type.String()),
  created_at: Type.String(),
})
export type ReviewComment = Static<typeof ReviewCommentSchema>

export const BASE_UPDATE_MODES = ['rebase', 'merge'] as const
export const BaseUpdateModeSchema = StringEnum(BASE_UPDATE_MODES, 'how the new target comes into the branch')
export type BaseUpdateMode = Static<typeof BaseUpdateModeSchema>
