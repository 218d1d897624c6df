import { realpathSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, isAbsolute, sep } from 'node:path'
import { AppError } from '../errors.ts'

export interface WorkspaceRef {
  name: string
  path: string
}

const reject = (code: string, message: string, path: string) =>
  new AppError('invalid', code, message, { path })

/**
 * Canonical absolute path of an existing directory: `~` expanded, relative paths taken against
 * `base`, symlinks and `..` resolved by realpath. Anything else is a 400 with a message saying why
 * (as a rejected promise, like every other failure of a workspace's checks). The two lookups are
 * made in place: through the file system's thread pool each was a round trip of its own, which
 * every run's preparation waited out.
 */
export async function canonicalDirectory(input: string, base: string = process.cwd()): Promise<string> {
  if (typeof input !== 'string' || input.trim() === '') throw reject('invalid_path', 'a path is required', '')
  if (input.includes('\0')) throw reject('invalid_path', 'the path contains a NUL byte', input)
  const expanded = input === '~' || input.startsWith('~/') ? homedir() + input.slice(1) : input
  const path = isAbsolute(expanded) ? expanded : `${base}${sep}${expanded}`
  let canonical: string
  let isDirectory: boolean
  try {
    // No lexical normalisation first: `file.txt/../src` must fail as it does in a shell, so the
    // operating system resolves every `..` against what is really on disk.
    canonical = realpathSync.native(path)
    isDirectory = statSync(canonical).isDirectory()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw reject('path_not_found', `${input} does not exist`, input)
    if (code === 'ENOTDIR') throw reject('not_a_directory', `${input} is not a directory`, input)
    if (code === 'EACCES')
      throw reject('path_unreadable', `${input} cannot be read (permission denied)`, input)
    throw reject('invalid_path', `${input} cannot be resolved: ${(error as Error).message}`, input)
  }
  if (!isDirectory) throw reject('not_a_directory', `${input} is not a directory`, input)
  return canonical
}

/** Validates a path for registration as a workspace and names it after its last component. */
export async function resolveWorkspace(input: string, base?: string): Promise<WorkspaceRef> {
  const path = await canonicalDirectory(input, base)
  return { name: basename(path) || path, path }
}
