import { existsSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'

/**
 * Absolute, `~` expanded, symlinks resolved. A path that does not exist yet is resolved through
 * its nearest existing ancestor, so a link cannot be used to step outside an allowlist later.
 */
export function canonicalPath(path: string, home = homedir()): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path
  const absolute = resolve(expanded)
  let existing = absolute
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing)
  try {
    return join(realpathSync.native(existing), relative(existing, absolute))
  } catch {
    return absolute
  }
}

/** Component-wise containment: `/a/b/c` is inside `/a/b`, `/a/bc` is not. */
export function isWithin(path: string, parent: string): boolean {
  if (path === parent) return true
  const prefix = parent.endsWith(sep) ? parent : parent + sep
  return path.startsWith(prefix)
}

/** True when the list is empty (no restriction) or the workspace is one of its entries or inside one. */
export function workspaceAllowed(workspace: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true
  const target = canonicalPath(workspace)
  return allowed.some((entry) => entry.trim() !== '' && isWithin(target, canonicalPath(entry.trim())))
}
