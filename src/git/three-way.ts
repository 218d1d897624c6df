import { AppError } from '../errors.ts'
import { git, OWN_IDENTITY, splitNul } from './exec.ts'

export interface ThreeWay {
  /** The merged tree; conflicted files hold git's conflict markers in it. */
  tree: string
  conflicts: string[]
}

/**
 * A three-way merge of trees against an explicit base, in the object store only (nothing is
 * written outside it). git 2.39's merge-tree has no --merge-base, so both sides become throwaway
 * commits whose only parent is the base (`base` a commit, or a tree made into one).
 */
export async function threeWayTrees(
  cwd: string,
  base: { commit: string } | { tree: string },
  oursTree: string,
  theirsTree: string,
  options: { gitDir?: string } = {},
): Promise<ThreeWay> {
  const run = (args: string[]) => git(cwd, args, options)
  const commitTree = async (tree: string, parent: string | null) =>
    (
      await run([
        ...OWN_IDENTITY,
        'commit-tree',
        tree,
        ...(parent ? ['-p', parent] : []),
        '-m',
        'openRuntime merge side',
      ])
    ).trim()
  const baseCommit = 'commit' in base ? base.commit : await commitTree(base.tree, null)
  const [ours, theirs] = await Promise.all([
    commitTree(oursTree, baseCommit),
    commitTree(theirsTree, baseCommit),
  ])
  const out = await run(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', ours, theirs])
  const [tree, ...conflicted] = splitNul(out)
  if (!tree) throw new AppError('precondition', 'git_failed', 'git merge-tree returned no tree')
  return { tree, conflicts: [...new Set(conflicted)] }
}
