import { realpath } from 'node:fs/promises'
import { AppError } from '../errors.ts'
import { git } from './exec.ts'

export interface RepoInfo {
  /** Top level of the checkout containing the directory (a linked worktree's own root when `.git` is a file). */
  root: string
  /** The shared git directory; the identity of the repository for locking. */
  commonDir: string
}

/**
 * Finds the repository a directory belongs to. Only "not a git repository" means null; any other
 * git failure (dubious ownership, a corrupt .git, git missing) is thrown so nothing fails open.
 */
export async function locateRepo(dir: string): Promise<RepoInfo | null> {
  let out: string
  try {
    out = await git(dir, ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir'])
  } catch (error) {
    if (error instanceof AppError && /not a git repository/i.test(error.message)) return null
    throw error
  }
  const [root, commonDir] = out.trim().split('\n')
  if (!root || !commonDir) {
    throw new AppError('precondition', 'git_failed', `${dir} is inside a git directory, not a working tree`)
  }
  return { root: await realpath(root), commonDir: await realpath(commonDir) }
}

export async function requireRepo(dir: string): Promise<RepoInfo> {
  const repo = await locateRepo(dir)
  if (!repo) throw new AppError('precondition', 'not_a_repository', `${dir} is not inside a git repository`)
  return repo
}

/**
 * Whether `path` is the root of a linked worktree of `repo` (not its main checkout, not some other
 * directory). Checked before anything is reused or deleted at a path taken from a task record.
 */
export async function isLinkedWorktreeOf(repo: RepoInfo, path: string): Promise<boolean> {
  const out = await git(path, [
    'rev-parse',
    '--path-format=absolute',
    '--show-toplevel',
    '--git-common-dir',
    '--absolute-git-dir',
  ]).catch(() => '')
  const reported = out.trim().split('\n')
  if (reported.length !== 3 || reported.some((line) => line === '')) return false
  const [root, commonDir, gitDir, self] = await Promise.all([...reported, path].map((p) => realpath(p)))
  return root === self && commonDir === repo.commonDir && gitDir !== repo.commonDir
}

/**
 * A worktree directory deleted behind git's back stays registered and blocks adding one at the
 * same path. Pruning only when git lists one as prunable avoids a silent command on every add.
 */
export async function pruneStaleWorktrees(repoRoot: string): Promise<void> {
  const listing = await git(repoRoot, ['worktree', 'list', '--porcelain'])
  if (/^prunable/m.test(listing)) await git(repoRoot, ['worktree', 'prune'])
}
