import type { TaskCheckout } from './checkout.ts'
import { gitInRepo } from './checkout.ts'
import { resolveCommit } from './exec.ts'
import { isDirectory } from './files.ts'
import { withRepoLock } from './repo-lock.ts'

/**
 * Brings what a run committed in its own git directory into the user's repository as the task
 * branch. The run's directory is read only through `upload-pack`, which git makes safe to run on
 * an untrusted repository; the receiving side checks every object (`fsckObjects`: no `.git` path,
 * no malformed tree) before its branch moves. Returns the branch's new tip.
 */
export async function importTaskBranch(checkout: TaskCheckout): Promise<string | null> {
  const { repo, branch, gitDir } = checkout
  if (!(await isDirectory(gitDir))) return null
  return withRepoLock(repo.commonDir, async () => {
    await gitInRepo(
      repo,
      [
        'fetch',
        '--quiet',
        '--no-tags',
        '--no-write-fetch-head',
        '--no-recurse-submodules',
        '--no-auto-gc',
        gitDir,
        `+HEAD:refs/heads/${branch}`,
      ],
      { config: ['protocol.file.allow=always', 'transfer.fsckObjects=true'] },
    )
    return resolveCommit(repo.commonDir, `refs/heads/${branch}`, { gitDir: repo.commonDir })
  })
}
