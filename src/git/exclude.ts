import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

const LINE = '.openruntime/'

/**
 * Keeps `.openruntime/` (where task worktrees live) out of the user's `git status`. The exclude file
 * lives in the shared git directory, as git's own `--git-path info/exclude` answers, so taking the
 * common dir git already reported also covers a `.git` that is a file (linked worktrees,
 * submodules); `info/` may not exist yet.
 */
export async function ensureExcluded(commonDir: string): Promise<void> {
  const file = join(commonDir, 'info', 'exclude')
  const current = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return ''
    throw error
  })
  const lines = current.split(/\r?\n/).map((line) => line.trim())
  if (lines.includes(LINE) || lines.includes(`/${LINE}`)) return
  await mkdir(join(commonDir, 'info'), { recursive: true })
  const separator = current === '' || current.endsWith('\n') ? '' : '\n'
  await appendFile(file, `${separator}${LINE}\n`)
}
