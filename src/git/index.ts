export {
  abandonRestore,
  type CleanupResult,
  type CleanupWorktreeInput,
  cleanupWorktree,
  finishCleanup,
  type RestoreResult,
  type RestoreWorktreeInput,
  restoreWorktree,
} from './archive.ts'
export {
  type BaseState,
  type BaseUpdatePlan,
  baseState,
  beforeUpdateRef,
  filesWithMarkers,
  forgetBaseUpdate,
  planBaseUpdate,
  type UpdateMode,
  undoBaseUpdate,
  writeBaseUpdate,
} from './base-update.ts'
export { locateTaskCheckout, type TaskCheckout, taskCheckout } from './checkout.ts'
export {
  type CaptureDiffInput,
  type ChangedFiles,
  captureDiff,
  changedFiles,
  diffTrees,
  hasTaskChanges,
} from './diff.ts'
export { importTaskBranch } from './import.ts'
export {
  type MergePlan,
  type MergeResult,
  type MergeStrategy,
  type MergeTaskInput,
  mergeTask,
} from './merge.ts'
export { mergeCompleted, type RollbackResult, rollBackMerge } from './merge-rollback.ts'
export { archiveRef, taskBranch } from './names.ts'
export { type PushInput, type PushResult, pushTaskBranch } from './push.ts'
export { type RemoteWork, remoteWork, snapshotRef } from './remote-snapshot.ts'
export { mayBeInRepository, type RepoInfo, requireRepo } from './repo.ts'
export { clearScratch, setScratchRoot } from './scratch.ts'
export { snapshotTree, treeOf } from './snapshot.ts'
export { removeStaleLocks } from './stale-locks.ts'
export {
  type ExistingWorktree,
  type PreparedWorkspace,
  type PrepareWorkspaceInput,
  prepareWorkspace,
} from './worktree.ts'
