import { readdir, realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { AppError } from '../errors.ts'
import { canonicalDirectory } from './paths.ts'

export interface FolderEntry {
  name: string
  path: string
  is_git: boolean
}

export interface FolderListing {
  path: string
  /** null at the filesystem root. */
  parent: string | null
  entries: FolderEntry[]
}

export interface ListFoldersOptions {
  showHidden?: boolean
}

/**
 * One level of the server-side folder browser: the canonical form of `path` (home by default) and
 * its sub-folders, each flagged when it is a git checkout. Symlinks to folders are listed under
 * their link name with the canonical target path.
 */
export async function listFolders(path?: string, options: ListFoldersOptions = {}): Promise<FolderListing> {
  const dir = await canonicalDirectory(path ?? homedir())
  const dirents = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new AppError(
      'invalid',
      'path_unreadable',
      `${dir} cannot be listed: ${error.code ?? error.message}`,
      {
        path: dir,
      },
    )
  })
  const candidates = dirents.filter(
    (entry) =>
      (options.showHidden || !entry.name.startsWith('.')) && (entry.isDirectory() || entry.isSymbolicLink()),
  )
  const entries = await Promise.all(
    candidates.map(async (entry): Promise<FolderEntry | null> => {
      const full = join(dir, entry.name)
      const target = entry.isSymbolicLink() ? await realpath(full).catch(() => null) : full
      if (!target || !(await stat(target).catch(() => null))?.isDirectory()) return null
      const isGit = (await stat(join(target, '.git')).catch(() => null)) !== null
      return { name: entry.name, path: target, is_git: isGit }
    }),
  )
  return {
    path: dir,
    parent: dir === dirname(dir) ? null : dirname(dir),
    entries: entries
      .filter((entry): entry is FolderEntry => entry !== null)
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })),
  }
}
