import { copyFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AppError } from '../errors.ts'
import { gitInRepo, type TaskCheckout } from './checkout.ts'
import { git } from './exec.ts'
import { makeParents } from './files.ts'
import { withRepoLock } from './repo-lock.ts'

/**
 * Moves the task's branch to `tip`: in its git directory (HEAD, the branch, an index of the tip
 * refreshed against the files, so the next run's `git status` shows only the uncommitted part)
 * and in the user's repository (compare-and-swap against the tip the update started from).
 */
export async function pointTaskBranch(checkout: TaskCheckout, tip: string, expected: string): Promise<void> {
  const { repo, gitDir, branch } = checkout
  const index = `${checkout.hostIndex}.update.tmp`
  try {
    await gitInRepo(repo, ['read-tree', tip], { indexFile: index })
    await git(repo.commonDir, ['update-index', '-q', '--refresh'], {
      gitDir: repo.commonDir,
      workTree: checkout.worktree,
      indexFile: index,
    }).catch(() => '')
    await replaceFile(join(gitDir, 'index'), index)
  } finally {
    await rm(index, { force: true })
  }
  await Promise.all([
    writeOwnFile(gitDir, join('refs', 'heads', branch), `${tip}\n`),
    writeOwnFile(gitDir, 'HEAD', `ref: refs/heads/${branch}\n`),
  ])
  await withRepoLock(repo.commonDir, () =>
    gitInRepo(repo, ['update-ref', `refs/heads/${branch}`, tip, expected]),
  )
}

/** Replaces `path` with a copy of `from`: unlinked first, so a symlink a run left there is not written through. */
async function replaceFile(path: string, from: string): Promise<void> {
  await rm(path, { force: true })
  await copyFile(from, path)
}

async function writeOwnFile(root: string, rel: string, content: string): Promise<void> {
  if (!(await makeParents(root, dirname(rel))))
    throw new AppError('precondition', 'worktree_invalid', `${join(root, rel)} is reached through a link`)
  const path = join(root, rel)
  await rm(path, { force: true })
  await writeFile(path, content, { flag: 'wx' })
}
