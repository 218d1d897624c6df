import { copyFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EMPTY_TREE, git } from './exec.ts'

/**
 * Writes a tree object holding everything the worktree contains right now: commits, staged and
 * unstaged edits and untracked files (ignored ones excluded). It works on a copy of the worktree's
 * index so the agent's own index is never touched, and the copy's stat data means git only rehashes
 * files that actually changed, which keeps this fast on large checkouts.
 */
export async function snapshotTree(worktreePath: string): Promise<string> {
  const realIndex = (
    await git(worktreePath, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])
  ).trim()
  const scratch = await mkdtemp(join(tmpdir(), 'openruntime-index-'))
  const indexFile = join(scratch, 'index')
  try {
    await copyFile(realIndex, indexFile).catch((error: NodeJS.ErrnoException) => {
      // A worktree on an unborn branch may have no index yet; starting empty is then correct.
      if (error.code !== 'ENOENT') throw error
    })
    await git(worktreePath, ['add', '-A'], { indexFile })
    return (await git(worktreePath, ['write-tree'], { indexFile })).trim()
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** The tree of a commit, or the empty tree when there is no commit (a repository without history). */
export async function treeOf(cwd: string, commit: string | null): Promise<string> {
  if (!commit) return EMPTY_TREE
  return (await git(cwd, ['rev-parse', `${commit}^{tree}`])).trim()
}
