import { existsSync } from 'node:fs'
import { realpath } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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
 * A folder with nothing git could take for a repository above it is answered without running git.
 */
export async function locateRepo(dir: string): Promise<RepoInfo | null> {
  if (!mayBeInRepository(dir)) return null
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

/**
 * Whether git could find a repository from `dir`: some folder from it up to `/` holds a `.git`,
 * or is itself a git directory (HEAD, objects/, refs/), as git's own discovery looks for. The
 * looks are a few stat calls each, made in place: through the file system's thread pool each was a
 * round trip of its own, and together they were most of what preparing a run in place cost. False
 * is certain (git would find nothing); true is for git to confirm.
 */
export function mayBeInRepository(dir: string): boolean {
  for (let folder = dir; ; folder = dirname(folder)) {
    if (existsSync(join(folder, '.git')) || GIT_DIR_ENTRIES.every((name) => existsSync(join(folder, name))))
      return true
    if (folder === dirname(folder)) return false
  }
}

const GIT_DIR_ENTRIES = ['HEAD', 'objects', 'refs']

/**
 * locateRepo, and the commit HEAD names (null in a repository without commits) from the same git
 * process where there is one: preparing a task needs both, and each git process costs a few ms.
 */
export async function locateRepoWithHead(dir: string): Promise<(RepoInfo & { head: string | null }) | null> {
  if (!mayBeInRepository(dir)) return null
  try {
    const out = await git(dir, [
      'rev-parse',
      '--path-format=absolute',
      '--show-toplevel',
      '--git-common-dir',
      'HEAD',
    ])
    const [root, commonDir, head] = out.trim().split('\n')
    if (root && commonDir && head)
      return { root: await realpath(root), commonDir: await realpath(commonDir), head }
  } catch (error) {
    if (!(error instanceof AppError && /unknown revision|not a git repository/i.test(error.message)))
      throw error
  }
  const repo = await locateRepo(dir)
  return repo && { ...repo, head: null }
}

export async function requireRepo(dir: string): Promise<RepoInfo> {
  const repo = await locateRepo(dir)
  if (!repo) throw new AppError('precondition', 'not_a_repository', `${dir} is not inside a git repository`)
  return repo
}
