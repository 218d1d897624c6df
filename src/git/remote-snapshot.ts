import { gitInRepo, type TaskCheckout } from './checkout.ts'
import { isDirectory } from './files.ts'

const ATTEMPTS = 'refs/openruntime/attempts/'

/** Where a runner host pushes the snapshot of an attempt's worktree (see http-backend.ts's namespace). */
export const snapshotRef = (attemptId: string) => `${ATTEMPTS}${attemptId}/snapshot`

/** A snapshot a runner host pushed: whose, its commit and tree, and when the host took it. */
export interface RemoteWork {
  attempt_id: string
  commit: string
  tree: string
  /** The commit's time, from the host's clock (ISO 8601). */
  taken_at: string
}

const OBJECT = /^[0-9a-f]{40,64}$/

/**
 * The task's work on runner hosts: the newest snapshot of the given attempts (newest first), or
 * null when none pushed one, or when the task's worktree is here (restored on the control plane,
 * which then is what the task holds). The endpoint checked every object on the way in (fsck);
 * only the tree and the time are used, never the commit's parents or message.
 */
export async function remoteWork(checkout: TaskCheckout, attemptIds: string[]): Promise<RemoteWork | null> {
  if (attemptIds.length === 0 || (await isDirectory(checkout.worktree))) return null
  const listed = await gitInRepo(checkout.repo, [
    'for-each-ref',
    '--format=%(refname)%00%(objectname)%00%(tree)%00%(committerdate:iso-strict)',
    ATTEMPTS,
  ])
  const byRef = new Map<string, string[]>()
  for (const line of listed.split('\n')) {
    const [ref, ...rest] = line.split('\0')
    if (ref) byRef.set(ref, rest)
  }
  for (const attemptId of attemptIds) {
    const [commit = '', tree = '', takenAt = ''] = byRef.get(snapshotRef(attemptId)) ?? []
    if (OBJECT.test(commit) && OBJECT.test(tree))
      return { attempt_id: attemptId, commit, tree, taken_at: takenAt }
  }
  return null
}
