import { cp } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { git, splitNul } from './exec.ts'
import { makeParents } from './files.ts'

/**
 * The git-ignored files of the user's checkout that match the workspace's glob list (typically
 * `.env*`), to carry into a fresh worktree so the agent has the local config a clone would lack. A
 * glob without a slash matches a file or directory name anywhere, as in .gitignore; one with a slash
 * matches the path from the repository root. Ignored directories are listed whole (`--directory`)
 * so a big node_modules is never walked; they are matched only by their own path.
 */
export async function ignoredFilesMatching(from: string, globs: string[]): Promise<string[]> {
  if (globs.length === 0) return []
  const matchers = globs.map((pattern) => ({ glob: new Bun.Glob(pattern), byName: !pattern.includes('/') }))
  const out = await git(from, [
    'ls-files',
    '-z',
    '--others',
    '--ignored',
    '--exclude-standard',
    '--directory',
  ])
  return splitNul(out)
    .map((entry) => entry.replace(/\/$/, ''))
    .filter((rel) => rel !== '.openruntime' && !rel.startsWith('.openruntime/'))
    .filter((rel) => matchers.some(({ glob, byName }) => glob.match(byName ? basename(rel) : rel)))
}

/**
 * Copies `paths` (relative, files or whole directories) from the user's checkout into a task's
 * worktree. The worktree's files may come from a branch a run committed, so a path whose folders
 * there include a symlink is skipped rather than written through it.
 */
export async function copyPaths(from: string, to: string, paths: string[]): Promise<void> {
  for (const rel of paths) {
    if (!(await makeParents(to, dirname(rel)))) continue
    await cp(join(from, rel), join(to, rel), {
      recursive: true,
      force: false,
      errorOnExist: false,
      verbatimSymlinks: true,
    })
  }
}
