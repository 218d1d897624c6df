import { lstat, mkdir, stat } from 'node:fs/promises'
import { isAbsolute, join, relative, sep } from 'node:path'

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false
}

/**
 * Creates the folders of `rel` under `root` one by one, never through a symlink: false when one of
 * them is not a real folder. Used where `root` is a task's worktree, whose folders a run may have
 * replaced with links to anywhere on the host.
 */
export async function makeParents(root: string, rel: string): Promise<boolean> {
  return walkFolders(root, rel, true)
}

/** Whether `path` is `root` or a real folder under it, reached through real folders only. */
export async function isPlainFolderWithin(root: string, path: string): Promise<boolean> {
  const rel = relative(root, path)
  if (rel.startsWith('..') || isAbsolute(rel)) return false
  return walkFolders(root, rel, false)
}

async function walkFolders(root: string, rel: string, create: boolean): Promise<boolean> {
  let dir = root
  for (const part of rel.split(sep).filter((name) => name !== '' && name !== '.')) {
    dir = join(dir, part)
    const info = await lstat(dir).catch(() => null)
    if (info === null && create) await mkdir(dir)
    else if (!info?.isDirectory()) return false
  }
  return true
}
