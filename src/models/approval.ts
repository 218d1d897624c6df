import { type Static, Type } from '@sinclair/typebox'
import { Nullable, StringEnum } from './schema-kit'

export const APPROVAL_STATUSES = ['pending', 'allowed', 'denied', 'expired'] as const
export const ApprovalStatusSchema = StringEnum(APPROVAL_STATUSES, 'approval status')
export type ApprovalStatus = Static<typeof ApprovalStatusSchema>

/** A tool use an agent asked to make, and its answer once there is one. */
export const ToolApprovalSchema = Type.Object({
  id: Type.String(),
  task_id: Type.String(),
  attempt_id: Type.String(),
  /** The agent's own id for the request. */
  request_id: Type.String(),
  tool: Type.String(),
  input: Type.Unknown(),
  status: ApprovalStatusSchema,
  decided_by: Nullable(Type.String()),
  decided_at: Nullable(Type.String()),
  message: Nullable(Type.String()),
  created_at: Type.String(),
})
export type ToolApproval = Static<typeof ToolApprovalSchema>

/** How an approval was answered (or lapsed). */
export type ApprovalDecision = Pick<ToolApproval, 'status' | 'decided_by' | 'decided_at' | 'message'>
