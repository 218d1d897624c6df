import { copyFile, lstat, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { gitInRepo, gitOnTaskFiles, hostDir, type TaskCheckout } from './checkout.ts'
import { EMPTY_TREE, splitNul } from './exec.ts'
import type { RepoInfo } from './repo.ts'

let sequence = 0
const swept = new Set<string>()

/** Scratch copies of the index a crashed server left beside it (once per task and process). */
async function sweepLeftovers(checkout: TaskCheckout): Promise<void> {
  if (swept.has(checkout.hostIndex)) return
  swept.add(checkout.hostIndex)
  const name = basename(checkout.hostIndex)
  const mine = `${name}.${process.pid}-`
  const stale = (await readdir(hostDir(checkout))).filter(
    (entry) => entry.startsWith(`${name}.`) && /\.tmp(\.lock)?$/.test(entry) && !entry.startsWith(mine),
  )
  await Promise.all(stale.map((entry) => rm(join(hostDir(checkout), entry), { force: true })))
}

/**
 * Writes a tree object holding everything the task's worktree contains right now: commits,
 * staged and unstaged edits and untracked files (ignored ones excluded, unless the run tracks
 * them), as files. It runs on a copy of the server's own index for the task, whose stat data means
 * git only rehashes files that changed; the refreshed copy replaces it afterwards (a rename, so
 * concurrent snapshots each leave a valid one). Without that index (first snapshot of an older
 * task) it starts from the base tree and hashes every file once. The objects land in the user's
 * repository, where merge and archive need them.
 */
export async function snapshotTree(checkout: TaskCheckout, baseCommit: string | null): Promise<string> {
  await mkdir(hostDir(checkout), { recursive: true })
  await sweepLeftovers(checkout)
  const scratch = `${checkout.hostIndex}.${process.pid}-${++sequence}`
  const index = `${scratch}.tmp`
  try {
    // The copy keeps the index's own mtime: git checks the content of an entry whose file changed
    // in the same clock tick as the index was written ("racy git") only when it can see that.
    const seeded = await copyFile(checkout.hostIndex, index).then(
      async () => {
        const { atime, mtime } = await stat(checkout.hostIndex)
        await utimes(index, atime, mtime)
        return true
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false
        throw error
      },
    )
    if (!seeded) await gitInRepo(checkout.repo, ['read-tree', baseCommit ?? EMPTY_TREE], { indexFile: index })
    await gitOnTaskFiles(checkout, ['add', '-A'], index)
    await addTrackedByRun(checkout, index, scratch)
    const tree = (await gitOnTaskFiles(checkout, ['write-tree'], index)).trim()
    await rename(index, checkout.hostIndex)
    return tree
  } finally {
    await Promise.all([
      rm(index, { force: true }),
      rm(`${scratch}.run.tmp`, { force: true }),
      rm(`${scratch}.paths.tmp`, { force: true }),
    ])
  }
}

/**
 * A run allowed to write git may track files its ignore rules hide (`git add -f`); they are part of
 * its work. Only the list of paths is taken from the run's index (listed by git, which verifies
 * the file), never a hash or stat entry from it: the content is read from the worktree here.
 */
async function addTrackedByRun(checkout: TaskCheckout, index: string, scratch: string): Promise<void> {
  const runIndex = `${scratch}.run.tmp`
  const copied = await copyFile(join(checkout.gitDir, 'index'), runIndex).then(
    () => true,
    () => false,
  )
  if (!copied) return
  const listed = (file: string) =>
    gitInRepo(checkout.repo, ['ls-files', '-z'], { indexFile: file }).then(
      (out) => splitNul(out),
      () => [] as string[],
    )
  const [theirs, ours] = await Promise.all([listed(runIndex), listed(index)])
  const known = new Set(ours)
  const extra: string[] = []
  for (const path of theirs) {
    if (known.has(path) || path.split('/').some((part) => part === '..' || part === '')) continue
    if ((await lstat(join(checkout.worktree, path)).catch(() => null))?.isFile()) extra.push(path)
  }
  if (extra.length === 0) return
  const pathspec = `${scratch}.paths.tmp`
  await writeFile(pathspec, extra.join('\0'))
  // git refuses a path it would reach through a symlink; a list the run crafted is then left out.
  await gitOnTaskFiles(
    checkout,
    ['--literal-pathspecs', 'add', '-f', `--pathspec-from-file=${pathspec}`, '--pathspec-file-nul'],
    index,
  ).catch(() => '')
}

/** The tree of a commit, or the empty tree when there is no commit (a repository without history). */
export async function treeOf(repo: RepoInfo, commit: string | null): Promise<string> {
  if (!commit) return EMPTY_TREE
  return (await gitInRepo(repo, ['rev-parse', `${commit}^{tree}`])).trim()
}
