import { lstat } from 'node:fs/promises'
import { join } from 'node:path'
import { git, resolveCommit, splitNul } from './exec.ts'
import type { MergePlan } from './merge.ts'
import { type Change, changesBetween } from './merge-guard.ts'
import { putBack, writePlan } from './merge-write.ts'
import { requireRepo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { withScratch } from './scratch.ts'

export interface RollbackResult {
  /** Paths put back as they were before the merge. */
  restored: string[]
  /** Paths changed since by someone else (neither the old nor the merged content): left alone. */
  kept: string[]
}

/**
 * Whether the target holds the planned merge. A commit merge moves HEAD last, so HEAD on the
 * planned commit means every file was written. An uncommitted (apply) merge leaves no such mark;
 * it counts as incomplete and is rolled back (the task keeps its changes and can merge again).
 */
export async function mergeCompleted(plan: MergePlan): Promise<boolean> {
  return plan.commit !== null && (await resolveCommit(plan.root, 'HEAD')) === plan.commit
}

/**
 * Undoes a merge that reached the target only in part (a crash, or a database that refused to
 * record it): HEAD back to where the merge found it, and every path the merge changed back to its
 * old content, except paths whose content is now neither the old nor the merged one (someone
 * edited them since: their work is kept). Index entries the merge staged are reset either way.
 */
export async function rollBackMerge(plan: MergePlan): Promise<RollbackResult> {
  const repo = await requireRepo(plan.root)
  return withRepoLock(repo.commonDir, async () => {
    const { root } = plan
    if (plan.commit && (await resolveCommit(root, 'HEAD')) === plan.commit) {
      const back = plan.targetHead ? ['HEAD', plan.targetHead, plan.commit] : ['-d', 'HEAD', plan.commit]
      await git(root, ['update-ref', '-m', 'openRuntime: merge rolled back', ...back])
    }
    const changes = await changesBetween(root, plan.oursTree, plan.mergedTree)
    if (changes.length === 0) return { restored: [], kept: [] }
    return withScratch('rollback', async (scratch) => {
      const [fromMerged, fromOurs] = await Promise.all([
        differingFrom(root, plan.mergedTree, join(scratch, 'merged.index')),
        differingFrom(root, plan.oursTree, join(scratch, 'ours.index')),
      ])
      const restore: Change[] = []
      const kept: string[] = []
      for (const change of changes) {
        const verdict = await classify(root, change, fromMerged, fromOurs)
        if (verdict === 'merged') restore.push(change)
        else if (verdict === 'foreign') kept.push(change.path)
      }
      if (plan.commit) await putBack(root, plan.oursTree, await writePlan(scratch, changes), staged)
      if (restore.length > 0) await putBack(root, plan.oursTree, await writePlan(scratch, restore), worktree)
      return { restored: restore.map((change) => change.path), kept }
    })
  })
}

const staged = { staged: true, worktree: false }
const worktree = { staged: false, worktree: true }

/** Paths of `tree` whose file in the checkout differs from it or is missing. */
async function differingFrom(root: string, tree: string, indexFile: string): Promise<Set<string>> {
  await git(root, ['read-tree', tree], { indexFile })
  return new Set(splitNul(await git(root, ['diff', '--no-ext-diff', '--name-only', '-z'], { indexFile })))
}

/** What a changed path holds now: the merged content, the old content, or someone else's. */
async function classify(
  root: string,
  change: Change,
  fromMerged: Set<string>,
  fromOurs: Set<string>,
): Promise<'merged' | 'ours' | 'foreign'> {
  const onDisk = await lstat(join(root, change.path)).then(
    () => true,
    () => false,
  )
  // A created path is absent from the old tree, a deleted one from the merged tree: there, only
  // whether the file exists tells the two apart.
  if (change.created) return !onDisk ? 'ours' : fromMerged.has(change.path) ? 'foreign' : 'merged'
  if (change.deleted) return onDisk ? (fromOurs.has(change.path) ? 'foreign' : 'ours') : 'merged'
  if (!fromMerged.has(change.path)) return 'merged'
  return fromOurs.has(change.path) ? 'foreign' : 'ours'
}
