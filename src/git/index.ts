export {
  type CleanupResult,
  type CleanupWorktreeInput,
  cleanupWorktree,
  type RestoreResult,
  type RestoreWorktreeInput,
  restoreWorktree,
} from './archive.ts'
export {
  type CaptureDiffInput,
  captureDiff,
  type DiffFile,
  type FileStatus,
  hasTaskChanges,
  type TaskDiff,
} from './diff.ts'
export { type MergeResult, type MergeStrategy, type MergeTaskInput, mergeTask } from './merge.ts'
export { archiveRef, taskBranch } from './names.ts'
export {
  type ExistingWorktree,
  type PreparedWorkspace,
  type PrepareWorkspaceInput,
  prepareWorkspace,
} from './worktree.ts'
