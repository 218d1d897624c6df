import { realpath } from 'node:fs/promises'
import { AppError, conflict } from '../errors.ts'
import { canonicalDirectory } from '../workspaces/paths.ts'
import type { TaskCheckout } from './checkout.ts'
import { EMPTY_TREE, git, identityFallback, resolveCommit } from './exec.ts'
import { isDirectory } from './files.ts'
import { blockedPaths, changesBetween, uncommitted } from './merge-guard.ts'
import { type WritePlan, writeOrRollBack, writePlan } from './merge-write.ts'
import { locateRepo, type RepoInfo, requireRepo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { withScratch } from './scratch.ts'
import { snapshotTree, treeOf } from './snapshot.ts'
import { threeWayTrees } from './three-way.ts'

export type MergeStrategy = 'apply' | 'commit'

export interface MergeTaskInput {
  checkout: TaskCheckout
  /** Top level of the target checkout (the user's working tree the task was started from). */
  repoRoot: string
  /** The registered workspace; when given it must lie in the target checkout, guarding against stale records. */
  workspace?: string
  baseCommit: string | null
  /** 'apply' (default) leaves the changes uncommitted in the target; 'commit' makes one commit. */
  strategy?: MergeStrategy
  message?: string
  /**
   * Called once every check has passed and before the first write to the target, with what is
   * about to be written, so the caller can record its intent: a crash from here on is rolled back
   * or completed by recovery (see merge-rollback.ts). Throwing here leaves the target untouched.
   */
  beforeWriting?: (plan: MergePlan) => void | Promise<void>
  /** The task's tree when it is not its worktree's (a runner host's pushed snapshot, remote-snapshot.ts). */
  taskTree?: string
}

/** Everything needed to tell, after the fact, whether a merge reached the target and to undo it. */
export interface MergePlan {
  strategy: MergeStrategy
  /** The target checkout's top level. */
  root: string
  targetHead: string | null
  oursTree: string
  mergedTree: string
  /** The commit HEAD moves to (strategy 'commit'), made before anything is written. */
  commit: string | null
}

export interface MergeResult {
  merged_files: string[]
  commit?: string
  message: string
}

/**
 * Brings the task's changes (commits, uncommitted edits and untracked files in its worktree,
 * relative to the base) into the target checkout with a three-way merge. All checks happen before
 * the first write: a conflict with the target's history or with its uncommitted files throws
 * `merge_conflict` and leaves working tree, index and HEAD exactly as they were.
 */
export async function mergeTask(input: MergeTaskInput): Promise<MergeResult> {
  const repo = await requireRepo(input.repoRoot)
  if (repo.root !== (await realpath(input.repoRoot))) {
    throw new AppError(
      'precondition',
      'merge_target_invalid',
      `${input.repoRoot} is not the top level of a checkout`,
    )
  }
  // A workspace folder that no longer exists proves nothing either way; the task can recreate it.
  const workspace = input.workspace ? await canonicalDirectory(input.workspace).catch(() => null) : null
  if (workspace) {
    const owner = await locateRepo(workspace)
    if (owner?.root !== repo.root) {
      throw new AppError(
        'precondition',
        'merge_target_invalid',
        `${input.workspace} is not inside ${repo.root}`,
      )
    }
  }
  if (input.taskTree === undefined && !(await isDirectory(input.checkout.worktree))) {
    throw new AppError(
      'precondition',
      'worktree_missing',
      `the task's worktree ${input.checkout.worktree} no longer exists`,
    )
  }
  // The task side is read before queueing for the repository: it touches only the task's files.
  const [taskTree, baseTree] = await Promise.all([
    input.taskTree ?? snapshotTree(input.checkout, input.baseCommit),
    treeOf(input.checkout.repo, input.baseCommit),
  ])
  return withRepoLock(repo.commonDir, () => mergeLocked(repo, input, taskTree, baseTree))
}

async function mergeLocked(
  repo: RepoInfo,
  input: MergeTaskInput,
  taskTree: string,
  baseTree: string,
): Promise<MergeResult> {
  const { root } = repo
  const targetHead = await resolveCommit(root, 'HEAD')
  const oursTree = await treeOf(repo, targetHead)
  const merged = oursTree === baseTree ? taskTree : await threeWay(root, input.baseCommit, oursTree, taskTree)
  const changes = await changesBetween(root, oursTree, merged)
  if (changes.length === 0) {
    return {
      merged_files: [],
      message: 'nothing to merge: the target already contains all of the task changes',
    }
  }
  const [taskChanges, dirty] = await Promise.all([
    changesBetween(root, baseTree, taskTree),
    uncommitted(root),
  ])
  const taskPaths = taskChanges.map((change) => change.path)
  const blocked = await blockedPaths(root, dirty, changes, taskPaths)
  if (blocked.length > 0) {
    throw conflict(
      'merge_conflict',
      `the target has uncommitted changes to files the task also changes (${blocked.join(', ')}); commit, stash or discard them and merge again`,
      { files: blocked },
    )
  }
  const strategy = input.strategy ?? 'apply'
  const commit = strategy === 'commit' ? await mergeCommit(root, input, merged, targetHead) : null
  await input.beforeWriting?.({ strategy, root, targetHead, oursTree, mergedTree: merged, commit })
  const files = changes.map((change) => change.path)
  await withScratch('merge', async (scratch) => {
    const plan = await writePlan(scratch, changes)
    if (commit) await commitInto(root, input.checkout.taskId, commit, targetHead, oursTree, plan)
    else await writeOrRollBack(root, { staged: false, worktree: true }, merged, oursTree, plan)
  })
  return commit
    ? { merged_files: files, commit, message: `committed ${files.length} file(s) as ${commit.slice(0, 12)}` }
    : { merged_files: files, message: `applied ${files.length} file(s) as uncommitted changes` }
}

/**
 * Cherry-pick semantics: the base is exactly the task's base commit, whatever the target's branch
 * history; an empty tree when the repository had none.
 */
async function threeWay(root: string, baseCommit: string | null, oursTree: string, taskTree: string) {
  const base = baseCommit ? { commit: baseCommit } : { tree: EMPTY_TREE }
  const { tree, conflicts } = await threeWayTrees(root, base, oursTree, taskTree)
  if (conflicts.length > 0) {
    throw conflict(
      'merge_conflict',
      `the task's changes conflict with the target in ${conflicts.join(', ')}; nothing was changed`,
      { files: conflicts },
    )
  }
  return tree
}

async function mergeCommit(
  root: string,
  input: MergeTaskInput,
  merged: string,
  targetHead: string | null,
): Promise<string> {
  const message = input.message?.trim() || `openRuntime: merge task ${input.checkout.taskId}`
  const identity = await identityFallback(root)
  const parent = targetHead ? ['-p', targetHead] : []
  return (await git(root, [...identity, 'commit-tree', merged, ...parent, '-m', message])).trim()
}

async function commitInto(
  root: string,
  taskId: string,
  commit: string,
  targetHead: string | null,
  oursTree: string,
  plan: WritePlan,
): Promise<void> {
  // Only the merged paths move in the index, so whatever else the user has staged stays staged and
  // out of this commit. The HEAD update is compare-and-swap against the head the merge was built on.
  await writeOrRollBack(root, { staged: true, worktree: true }, commit, oursTree, plan, async () => {
    const expected = targetHead ?? '0'.repeat(40)
    await git(root, ['update-ref', '-m', `openRuntime: merge task ${taskId}`, 'HEAD', commit, expected])
  })
}
