import type { Dirent } from 'node:fs'
import { readdir, realpath } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import type { WorkspaceRef } from './paths.ts'

export interface DiscoverOptions {
  /** Where to look; defaults to the user's home directory. */
  roots?: string[]
  /** How many directory levels below a root may hold a repository. */
  maxDepth?: number
  /** Stop once this many repositories are found. */
  maxResults?: number
  /** Stop once this many directories have been read, so a huge home cannot stall a request. */
  maxDirectories?: number
}

// Dependency and tool folders hold clones nobody registers as a workspace, and are the bulk of a walk.
const SKIPPED = new Set(['node_modules'])
// readdir calls in flight at once; enough to hide latency without exhausting file descriptors.
const BATCH = 32

/**
 * Finds git repositories (a directory holding `.git`, as a folder or a file) under the roots,
 * breadth first, without following symlinks, entering hidden folders or node_modules, or
 * descending into a repository once found.
 */
export async function discoverRepositories(options: DiscoverOptions = {}): Promise<WorkspaceRef[]> {
  const { roots = [homedir()], maxDepth = 3, maxResults = 500, maxDirectories = 20_000 } = options
  const found = new Map<string, WorkspaceRef>()
  let level = (await Promise.all(roots.map((root) => realpath(root).catch(() => null)))).filter(
    (root): root is string => root !== null,
  )
  let read = 0
  for (let depth = 0; level.length > 0 && depth <= maxDepth; depth++) {
    const next: string[] = []
    for (let i = 0; i < level.length && read < maxDirectories && found.size < maxResults; i += BATCH) {
      const batch = level.slice(i, i + BATCH)
      read += batch.length
      const listings = await Promise.all(
        batch.map((dir) => readdir(dir, { withFileTypes: true }).catch(() => [])),
      )
      batch.forEach((dir, index) => {
        const entries: Dirent[] = listings[index] ?? []
        if (entries.some((entry) => entry.name === '.git') && found.size < maxResults) {
          found.set(dir, { name: basename(dir) || dir, path: dir })
          return
        }
        for (const entry of entries) {
          if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED.has(entry.name)) {
            next.push(join(dir, entry.name))
          }
        }
      })
    }
    level = next
  }
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path))
}
