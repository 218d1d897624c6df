import { chmod, copyFile, lstat, readlink, rm, rmdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AppError } from '../errors.ts'
import { gitInRepo } from './checkout.ts'
import { gitBytes, splitNul } from './exec.ts'
import { makeParents } from './files.ts'
import type { RepoInfo } from './repo.ts'

/** One path that differs between two trees, with what the second tree holds there. */
export interface TreeChange {
  path: string
  created: boolean
  deleted: boolean
  /** The second tree's mode (`100644`, `100755`, `120000`) and blob; null when deleted. */
  mode: string | null
  blob: string | null
}

/** A path as it was on disk, kept aside byte for byte (a copy of a file, the target of a link). */
export interface SavedEntry {
  path: string
  kind: 'file' | 'symlink' | 'absent'
  mode: number | null
  copy: string | null
  link: string | null
}

const ZERO = /^0+$/

/** Every path whose blob or mode differs between `from` and `to` (git's raw diff of two trees). */
export async function changedEntries(repo: RepoInfo, from: string, to: string): Promise<TreeChange[]> {
  const fields = splitNul(await gitInRepo(repo, ['diff-tree', '-r', '-z', '--no-renames', from, to]))
  const changes: TreeChange[] = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, dstMode, , dstBlob, status] = (fields[i] as string).slice(1).split(' ')
    const deleted = status === 'D'
    changes.push({
      path: fields[i + 1] as string,
      created: status === 'A',
      deleted,
      mode: deleted ? null : (dstMode ?? null),
      blob: deleted || !dstBlob || ZERO.test(dstBlob) ? null : dstBlob,
    })
  }
  return changes
}

/**
 * Writes the changes into `root` as plain files, the blobs exactly as stored (no filter, no line
 * ending conversion): deletions first, then every other path, each reached through real folders
 * only (a folder a run turned into a link refuses the write) and unlinked before it is written,
 * so nothing is written through a link either.
 */
export async function writeEntries(repo: RepoInfo, root: string, changes: TreeChange[]): Promise<void> {
  for (const change of changes.filter((entry) => entry.deleted)) await removePath(root, change.path)
  for (const change of changes.filter((entry) => !entry.deleted)) {
    if (!(await makeParents(root, dirname(change.path))))
      throw new AppError(
        'precondition',
        'worktree_invalid',
        `${join(root, change.path)} is reached through a link`,
      )
    const path = join(root, change.path)
    await removePath(root, change.path)
    const content = await gitBytes(repo.commonDir, ['cat-file', 'blob', change.blob as string], {
      gitDir: repo.commonDir,
    })
    if (change.mode === '120000') await symlink(Buffer.from(content).toString('utf8'), path)
    else {
      await writeFile(path, content, { flag: 'wx' })
      await chmod(path, change.mode === '100755' ? 0o755 : 0o644)
    }
  }
}

/** Keeps `root/path` aside as it is now (a regular file copied to `copy`, a link's target, or its absence). */
export async function saveEntry(root: string, path: string, copy: string): Promise<SavedEntry> {
  const full = join(root, path)
  const info = await lstat(full).catch(() => null)
  if (info?.isSymbolicLink())
    return { path, kind: 'symlink', mode: null, copy: null, link: await readlink(full) }
  if (info?.isFile()) {
    await copyFile(full, copy)
    return { path, kind: 'file', mode: info.mode & 0o7777, copy, link: null }
  }
  return { path, kind: 'absent', mode: null, copy: null, link: null }
}

/** Puts a saved path back exactly: same bytes and mode, same link, or gone again. */
export async function restoreSaved(root: string, entry: SavedEntry): Promise<void> {
  await removePath(root, entry.path)
  if (entry.kind === 'absent') return
  if (!(await makeParents(root, dirname(entry.path))))
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `${join(root, entry.path)} is reached through a link`,
    )
  const path = join(root, entry.path)
  if (entry.kind === 'symlink') await symlink(entry.link as string, path)
  else {
    await copyFile(entry.copy as string, path)
    await chmod(path, entry.mode as number)
  }
}

/**
 * Removes a file or link (an empty folder too); a folder with content stays, and fails the write
 * after. A path whose folders include a link is refused, never followed.
 */
async function removePath(root: string, path: string): Promise<void> {
  const full = join(root, path)
  let dir = root
  for (const part of dirname(path)
    .split('/')
    .filter((name) => name !== '' && name !== '.')) {
    dir = join(dir, part)
    const folder = await lstat(dir).catch(() => null)
    if (folder === null) return
    if (!folder.isDirectory())
      throw new AppError('precondition', 'worktree_invalid', `${full} is reached through a link or a file`)
  }
  const info = await lstat(full).catch(() => null)
  if (!info) return
  if (info.isDirectory()) await rmdir(full)
  else await rm(full, { force: true })
}
