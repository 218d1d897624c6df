/**
 * One writer per repository. Worktree add/remove/prune, branch and ref updates and merges into the
 * target all touch the shared git directory (index.lock, worktrees/, packed-refs), so they run one
 * at a time per canonical common dir. Keyed in-process only: one server owns a data directory.
 */
const tails = new Map<string, Promise<void>>()

export async function withRepoLock<T>(commonDir: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(commonDir) ?? Promise.resolve()
  let release = () => {}
  const current = new Promise<void>((resolve) => {
    release = resolve
  })
  const tail = previous.then(() => current)
  tails.set(commonDir, tail)
  await previous
  try {
    return await work()
  } finally {
    release()
    // Drop the entry once nobody queued behind us, so the map does not grow with every repo ever seen.
    if (tails.get(commonDir) === tail) tails.delete(commonDir)
  }
}
