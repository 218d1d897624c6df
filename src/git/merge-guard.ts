import { lstat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { git, splitNul } from './exec.ts'

export interface Change {
  path: string
  /** Absent from the first tree. */
  created: boolean
  /** Absent from the second tree. */
  deleted: boolean
}

/**
 * Paths the merge must not write: anything uncommitted in the target (staged, unstaged, untracked)
 * at a path the task touches, including file/directory overlaps, and any file already on disk
 * (an ignored one, say) where the merge would create a new file.
 */
export async function blockedPaths(root: string, dirty: Set<string>, changes: Change[], taskPaths: string[]) {
  const dirtyDirs = new Set([...dirty].flatMap(ancestors))
  const touched = [...new Set([...changes.map((change) => change.path), ...taskPaths])]
  const blocked = new Set(
    touched.filter(
      (path) => dirty.has(path) || dirtyDirs.has(path) || ancestors(path).some((dir) => dirty.has(dir)),
    ),
  )
  for (const change of changes) {
    if (change.created && !blocked.has(change.path) && (await occupied(join(root, change.path)))) {
      blocked.add(change.path)
    }
  }
  return [...blocked].sort()
}

/** Every path with staged, unstaged or untracked changes in the target. */
export async function uncommitted(root: string): Promise<Set<string>> {
  // --no-optional-locks: status must not refresh and rewrite the target's index, even on refusal.
  // --branch adds a "## …" header, which also spares simple-git's wait for output that never comes.
  const out = await git(root, [
    '--no-optional-locks',
    'status',
    '--porcelain=v1',
    '--branch',
    '-z',
    '--untracked-files=all',
    '--no-renames',
  ])
  return new Set(
    splitNul(out)
      .filter((entry) => !entry.startsWith('## '))
      .map((entry) => entry.slice(3)),
  )
}

const ancestors = (path: string): string[] => {
  const dirs: string[] = []
  for (let dir = dirname(path); dir !== '.' && dir !== '/'; dir = dirname(dir)) dirs.push(dir)
  return dirs
}

async function occupied(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    // ENOTDIR: an ancestor is a file, which the merge could not replace either.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

/** The paths that differ between two trees, and whether each is new in the second. */
export async function changesBetween(root: string, from: string, to: string): Promise<Change[]> {
  const fields = splitNul(
    await git(root, ['diff', '--no-ext-diff', '--no-renames', '--name-status', '-z', from, to]),
  )
  const changes: Change[] = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    changes.push({ path: fields[i + 1] as string, created: fields[i] === 'A', deleted: fields[i] === 'D' })
  }
  return changes
}
