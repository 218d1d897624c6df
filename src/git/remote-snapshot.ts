import { gitInRepo } from './checkout.ts'
import type { RepoInfo } from './repo.ts'

/** Where a runner host pushes the snapshot of an attempt's worktree (see http-backend.ts's namespace). */
export const snapshotRef = (attemptId: string) => `refs/openruntime/attempts/${attemptId}/snapshot`

/**
 * The tree of the snapshot a runner host pushed for the attempt, or null when it pushed none. The
 * endpoint checked every object on the way in (fsck); only the tree is used, never the commit's
 * parents or message.
 */
export async function remoteSnapshotTree(repo: RepoInfo, attemptId: string): Promise<string | null> {
  const tree = await gitInRepo(repo, [
    'rev-parse',
    '--verify',
    '--quiet',
    `${snapshotRef(attemptId)}^{tree}`,
  ]).catch(() => '')
  return /^[0-9a-f]{40,64}$/.test(tree.trim()) ? tree.trim() : null
}
