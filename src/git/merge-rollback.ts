import { lstat, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { git, OWN_IDENTITY, resolveCommit, splitNul } from './exec.ts'
import type { MergePlan } from './merge.ts'
import { type Change, changesBetween } from './merge-guard.ts'
import { putBack, writePlan } from './merge-write.ts'
import { requireRepo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { withScratch } from './scratch.ts'

export interface RollbackResult {
  /** Paths put back as they were before the merge. */
  restored: string[]
  /**
   * Paths that held neither the old nor the merged content (a file git was writing when it was
   * killed, or an edit made since): their content is kept in a commit under `ref` before they are
   * put back too.
   */
  rescued: { ref: string; paths: string[] } | null
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
 * record it): HEAD back to where the merge found it, index entries it staged reset, and every
 * path it changed back to its old content. A path whose content is now neither the old nor the
 * merged one cannot be told apart from an edit made since, so that content is first kept in a
 * commit of its own (see RollbackResult.rescued): nothing is lost, and the target ends untouched.
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
    if (changes.length === 0) return { restored: [], rescued: null }
    return withScratch('rollback', async (scratch) => {
      const [fromMerged, fromOurs] = await Promise.all([
        differingFrom(root, plan.mergedTree, join(scratch, 'merged.index')),
        differingFrom(root, plan.oursTree, join(scratch, 'ours.index')),
      ])
      const restore: Change[] = []
      const foreign: Change[] = []
      for (const change of changes) {
        const verdict = await classify(root, change, fromMerged, fromOurs)
        if (verdict !== 'ours') restore.push(change)
        if (verdict === 'foreign') foreign.push(change)
      }
      const rescued = foreign.length > 0 ? await rescue(root, plan, foreign, scratch) : null
      await Promise.all([mkdir(join(scratch, 'staged')), mkdir(join(scratch, 'worktree'))])
      if (plan.commit)
        await putBack(root, plan.oursTree, await writePlan(join(scratch, 'staged'), changes), staged)
      if (restore.length > 0)
        await putBack(root, plan.oursTree, await writePlan(join(scratch, 'worktree'), restore), worktree)
      return { restored: restore.map((change) => change.path), rescued }
    })
  })
}

const staged = { staged: true, worktree: false }
const worktree = { staged: false, worktree: true }

let rescues = 0

/** Commits the current content of `changes` (what exists of them) under refs/openruntime/rescued/. */
async function rescue(root: string, plan: MergePlan, changes: Change[], scratch: string) {
  const indexFile = join(scratch, 'rescue.index')
  const list = join(scratch, 'rescue.paths')
  const present: string[] = []
  for (const change of changes) if (await exists(join(root, change.path))) present.push(change.path)
  await git(root, ['read-tree', plan.oursTree], { indexFile })
  await writeFile(list, present.join('\0'))
  if (present.length > 0) {
    await git(
      root,
      ['--literal-pathspecs', 'add', '-f', `--pathspec-from-file=${list}`, '--pathspec-file-nul'],
      {
        indexFile,
      },
    )
  }
  const tree = (await git(root, ['write-tree'], { indexFile })).trim()
  const parent = plan.targetHead ? ['-p', plan.targetHead] : []
  const message = `openRuntime: content found in ${changes.length} file(s) while rolling back an interrupted merge`
  const commit = (await git(root, [...OWN_IDENTITY, 'commit-tree', tree, ...parent, '-m', message])).trim()
  const ref = `refs/openruntime/rescued/${Date.now()}-${++rescues}`
  await git(root, ['update-ref', ref, commit])
  return { ref, paths: changes.map((change) => change.path) }
}

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  )

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
  const onDisk = await exists(join(root, change.path))
  // A created path is absent from the old tree, a deleted one from the merged tree: there, only
  // whether the file exists tells the two apart.
  if (change.created) return !onDisk ? 'ours' : fromMerged.has(change.path) ? 'foreign' : 'merged'
  if (change.deleted) return onDisk ? (fromOurs.has(change.path) ? 'foreign' : 'ours') : 'merged'
  if (!fromMerged.has(change.path)) return 'merged'
  return fromOurs.has(change.path) ? 'foreign' : 'ours'
}
