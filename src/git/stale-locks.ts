import { readdir, readlink, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { git } from './exec.ts'

/**
 * Lock files a killed git left in the user's repository (index.lock, HEAD.lock, a ref's lock):
 * they block every later git command there. A lock is stale only if no process has it open (git
 * keeps a lock open until it commits or drops it), so the user's own git at work is never
 * disturbed. Returns what was removed. Linux only (it reads /proc); elsewhere nothing is removed.
 */
export async function removeStaleLocks(checkoutRoot: string): Promise<string[]> {
  const gitDir = (await git(checkoutRoot, ['rev-parse', '--absolute-git-dir'])).trim()
  const commonDir = (
    await git(checkoutRoot, ['rev-parse', '--path-format=absolute', '--git-common-dir'])
  ).trim()
  const candidates = [
    join(gitDir, 'index.lock'),
    join(gitDir, 'HEAD.lock'),
    join(commonDir, 'packed-refs.lock'),
    ...(await locksUnder(join(commonDir, 'refs'))),
  ]
  const open = await openFiles()
  if (open === null) return []
  const removed: string[] = []
  for (const lock of candidates) {
    if (open.has(lock)) continue
    const gone = await rm(lock).then(
      () => true,
      () => false,
    )
    if (gone) removed.push(lock)
  }
  return removed
}

async function locksUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.lock'))
    .map((entry) => join(entry.parentPath, entry.name))
}

/** Every file some process has open, as /proc shows it; null where /proc cannot tell. */
async function openFiles(): Promise<Set<string> | null> {
  const pids = await readdir('/proc').catch(() => null)
  if (pids === null) return null
  const open = new Set<string>()
  for (const pid of pids.filter((name) => /^\d+$/.test(name))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => null)
      if (target) open.add(target)
    }
  }
  return open
}
