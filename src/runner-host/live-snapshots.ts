import {
  type AttemptCheckout,
  pushSnapshot,
  type RemoteRepository,
  type Snapshot,
  snapshotCommit,
  worktreeTree,
} from '../git/runner-cache'

export interface LiveSnapshotsOptions {
  checkout: AttemptCheckout
  base: string
  remote: RemoteRepository
  /** The attempt's ref on the control plane. */
  ref: string
  attemptId: string
  /** How often the worktree is looked at while the run goes on. */
  everyMs: number
  onError: (error: Error) => void
}

/**
 * The attempt's snapshots: pushed to its ref every `everyMs` while the run goes on, only when the
 * worktree's tree changed since the last push (an unchanged worktree costs a `git add` of
 * unchanged files and a `write-tree`, nothing goes over the network), and a last one at the end.
 * Snapshots are taken one at a time, so the last one pushed is always the newest.
 */
export class LiveSnapshots {
  private pushedTree: string | null = null
  private turn: Promise<unknown> = Promise.resolve()
  private timer: ReturnType<typeof setTimeout> | null = null
  private ended = false

  constructor(private readonly options: LiveSnapshotsOptions) {}

  /** The first snapshot now (the worktree the run starts from), then periodic ones. */
  start(): void {
    const tick = () => {
      if (this.ended) return
      this.take(false)
        .catch((error: Error) => this.options.onError(error))
        .finally(() => {
          if (!this.ended) this.timer = setTimeout(tick, this.options.everyMs)
        })
    }
    tick()
  }

  /** Stops the periodic ones and takes the last: what the outcome reports (pushed unless told not to). */
  async final({ push }: { push: boolean }): Promise<Snapshot> {
    this.halt()
    return (await this.take(true, push)) as Snapshot
  }

  /** Stops the periodic ones (the run could not go on). */
  halt(): void {
    this.ended = true
    if (this.timer) clearTimeout(this.timer)
  }

  private take(last: boolean, push = true): Promise<Snapshot | null> {
    const next = this.turn.then(() => this.snapshot(last, push))
    this.turn = next.catch(() => undefined)
    return next
  }

  /** Null when nothing changed since the last push and it is not the last snapshot. */
  private async snapshot(last: boolean, push: boolean): Promise<Snapshot | null> {
    const { checkout, base, remote, ref, attemptId } = this.options
    const tree = await worktreeTree(checkout)
    const message = `openRuntime ${last ? 'snapshot' : 'live snapshot'} of attempt ${attemptId}`
    if (tree === this.pushedTree && !last) return null
    const snapshot = await snapshotCommit(checkout, base, tree, message)
    if (push && tree !== this.pushedTree) {
      await pushSnapshot(checkout.cache, remote, snapshot.commit, ref)
      this.pushedTree = tree
    }
    return snapshot
  }
}
