import { cp, mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { git, splitNul } from './exec.ts'

/**
 * Copies git-ignored files that match the workspace's glob list (typically `.env*`) from the user's
 * checkout into a fresh worktree, so the agent has the local config a clone would lack. A glob
 * without a slash matches a file or directory name anywhere, as in .gitignore; one with a slash
 * matches the path from the repository root. Ignored directories are listed whole (`--directory`)
 * so a big node_modules is never walked; they are copied only when their own path matches.
 */
export async function copyIgnoredFiles(from: string, to: string, globs: string[]): Promise<string[]> {
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
  const copied: string[] = []
  for (const entry of splitNul(out)) {
    const rel = entry.replace(/\/$/, '')
    if (rel === '.openruntime' || rel.startsWith('.openruntime/')) continue
    if (!matchers.some(({ glob, byName }) => glob.match(byName ? basename(rel) : rel))) continue
    await mkdir(dirname(join(to, rel)), { recursive: true })
    await cp(join(from, rel), join(to, rel), {
      recursive: true,
      force: false,
      errorOnExist: false,
      verbatimSymlinks: true,
    })
    copied.push(rel)
  }
  return copied
}
