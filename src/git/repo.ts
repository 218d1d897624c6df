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
