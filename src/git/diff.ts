import type { DiffFile, FileStatus, TaskDiff } from '../models'
import { gitInRepo, type TaskCheckout } from './checkout.ts'
import { EMPTY_TREE, splitNul } from './exec.ts'
import type { RepoInfo } from './repo.ts'
import { snapshotTree, treeOf } from './snapshot.ts'

export interface CaptureDiffInput {
  checkout: TaskCheckout
  baseCommit: string | null
  maxPatchBytes?: number
  /** The task's tree when it is not its worktree's (a runner host's pushed snapshot, remote-snapshot.ts). */
  tree?: string
}

// Plain, stable output whatever the user's config says: no colour, no external diff drivers,
// no textconv (review shows the real bytes), unquoted UTF-8 paths in the patch text.
const DIFF = ['-c', 'core.quotepath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M']

/**
 * Everything the task changed relative to its base commit: the agent's commits, staged and
 * unstaged edits and untracked files. A fixed handful of git processes whatever the number of
 * files; the trees are compared inside the user's repository, the worktree only read as files
 * (see snapshotTree).
 */
export async function captureDiff({
  checkout,
  baseCommit,
  maxPatchBytes = 2_000_000,
  tree: given,
}: CaptureDiffInput): Promise<TaskDiff> {
  const tree = given ?? (await snapshotTree(checkout, baseCommit))
  return diffTrees(checkout.repo, baseCommit ?? EMPTY_TREE, tree, maxPatchBytes)
}

/** The diff from one tree (or commit) of the repository to another, with its stat, files and patch. */
export async function diffTrees(
  repo: RepoInfo,
  from: string,
  to: string,
  maxPatchBytes = 2_000_000,
): Promise<TaskDiff> {
  const diff = (args: string[]) => gitInRepo(repo, [...DIFF, ...args, from, to])
  const [changed, stat, patch] = await Promise.all([
    changedFiles(repo, from, to),
    diff(['--stat=200,150']),
    diff([]),
  ])
  const cut = truncate(patch, maxPatchBytes, changed.files.length)
  return {
    stat: stat.trimEnd(),
    patch: cut.text,
    ...changed,
    truncated: cut.truncated,
    has_changes: changed.files.length > 0,
  }
}

export interface ChangedFiles {
  files: DiffFile[]
  additions: number
  deletions: number
}

/** The files that differ between two trees with their line counts, without building a patch. */
export async function changedFiles(repo: RepoInfo, from: string, to: string): Promise<ChangedFiles> {
  const diff = (args: string[]) => gitInRepo(repo, [...DIFF, ...args, from, to])
  const [numstat, nameStatus] = await Promise.all([diff(['-z', '--numstat']), diff(['-z', '--name-status'])])
  const files = mergeCounts(parseNameStatus(nameStatus), parseNumstat(numstat))
  return {
    files,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
  }
}

/** Whether the worktree holds anything that differs from its base, without building a patch. */
export async function hasTaskChanges(
  checkout: TaskCheckout,
  baseCommit: string | null,
  /** The task's tree when it is not its worktree's (a runner host's snapshot). */
  taskTree?: string | null,
): Promise<boolean> {
  const [tree, baseTree] = await Promise.all([
    taskTree ?? snapshotTree(checkout, baseCommit),
    treeOf(checkout.repo, baseCommit),
  ])
  return tree !== baseTree
}

const STATUS: Record<string, FileStatus> = { A: 'added', C: 'added', D: 'deleted', R: 'renamed' }

function parseNameStatus(out: string): DiffFile[] {
  const fields = splitNul(out)
  const files: DiffFile[] = []
  for (let i = 0; i < fields.length; ) {
    const letter = (fields[i++] ?? '').charAt(0)
    const status = STATUS[letter] ?? 'modified'
    const first = fields[i++] ?? ''
    const file: DiffFile = { path: first, status, additions: 0, deletions: 0, binary: false }
    // Renames and copies carry two paths: the source, then the destination.
    if (letter === 'R' || letter === 'C') {
      file.path = fields[i++] ?? ''
      if (letter === 'R') file.old_path = first
    }
    files.push(file)
  }
  return files
}

interface Counts {
  additions: number
  deletions: number
  binary: boolean
}

function parseNumstat(out: string): Map<string, Counts> {
  const fields = out.split('\0')
  const counts = new Map<string, Counts>()
  for (let i = 0; i < fields.length; i++) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(fields[i] ?? '')
    if (!match) continue
    const [, added = '-', deleted = '-', inline = ''] = match
    // With -z a rename leaves the path field empty and follows it with the old and new paths.
    let path = inline
    if (inline === '') {
      path = fields[i + 2] ?? ''
      i += 2
    }
    const binary = added === '-'
    counts.set(path, {
      binary,
      additions: binary ? 0 : Number(added),
      deletions: binary ? 0 : Number(deleted),
    })
  }
  return counts
}

function mergeCounts(files: DiffFile[], counts: Map<string, Counts>): DiffFile[] {
  return files.map((file) => ({ ...file, ...counts.get(file.path) }))
}

function truncate(patch: string, maxBytes: number, fileCount: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(patch)
  if (bytes.length <= maxBytes) return { text: patch, truncated: false }
  // Cut at a line end so the shown part is still a readable patch, then say plainly that it stops.
  const head = bytes.subarray(0, maxBytes)
  const lastNewline = head.lastIndexOf(0x0a)
  const kept = head.subarray(0, lastNewline >= 0 ? lastNewline + 1 : 0).toString()
  const marker = `[openRuntime: patch truncated after ${maxBytes} of ${bytes.length} bytes; all ${fileCount} changed files are listed in the stat]\n`
  return { text: kept + marker, truncated: true }
}
