import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { git } from './exec.ts'

const LINE = '.openruntime/'

/**
 * Keeps `.openruntime/` (where task worktrees live) out of the user's `git status`. The exclude file
 * is resolved through git because `.git` may be a file (linked worktrees, submodules), and `info/`
 * may not exist yet.
 */
export async function ensureExcluded(repoRoot: string): Promise<void> {
  const file = (
    await git(repoRoot, ['rev-parse', '--path-format=absolute', '--git-path', 'info/exclude'])
  ).trim()
  const current = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  const lines = current.split(/\r?\n/).map((line) => line.trim())
  if (lines.includes(LINE) || lines.includes(`/${LINE}`)) return
  await mkdir(dirname(file), { recursive: true })
  const separator = current === '' || current.endsWith('\n') ? '' : '\n'
  await appendFile(file, `${separator}${LINE}\n`)
}
