// A tool approval as the API and the pages show it is the stored row; its statuses are part of the
// wire vocabulary. Callers of the services take both from here rather than from storage.
export { APPROVAL_STATUSES, type ApprovalStatus, type ToolApproval } from '../storage/approvals'
