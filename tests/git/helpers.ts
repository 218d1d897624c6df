import { afterAll } from 'bun:test'
import { createHash } from 'node:crypto'
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { locateTaskCheckout } from '../../src/git/index.ts'
import { gitSync, makeRepo } from '../support/git-repo.ts'
import { tempDir } from '../support/temp.ts'

export { gitSync, makeRepo }

/** A directory factory for one test file; everything is removed after the file's tests. */
export function scratchSpace(): (name: string) => string {
  const root = tempDir('openruntime-git-test-')
  afterAll(root.cleanup)
  const base = realpathSync(root.path)
  return (name) => {
    const dir = join(base, name)
    mkdirSync(dir, { recursive: true })
    return dir
  }
}

export function write(root: string, path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), content)
}

export const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8')

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')

/**
 * Content hash of every file under `root` (symlinks by target, with the mode), `.git` and
 * openRuntime's own `.openruntime` (task checkouts, the server's indexes) excluded.
 */
export function hashFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name)
      if (dir === root && (name === '.git' || name === '.openruntime')) continue
      const info = lstatSync(full)
      if (info.isDirectory()) walk(full)
      else if (info.isSymbolicLink()) out[relative(root, full)] = `link:${readlinkSync(full)}`
      else out[relative(root, full)] = `${info.mode.toString(8)}:${sha(readFileSync(full))}`
    }
  }
  walk(root)
  return out
}

/** Everything a merge could change in a checkout: its files, its index bytes and HEAD. */
export function checkoutState(root: string) {
  const indexPath = gitSync(root, 'rev-parse', '--path-format=absolute', '--git-path', 'index').trim()
  return {
    files: hashFiles(root),
    index: sha(readFileSync(indexPath)),
    head: gitSync(root, 'rev-parse', 'HEAD').trim(),
    branch: gitSync(root, 'symbolic-ref', '-q', 'HEAD').trim(),
  }
}

/** Lines of `git status --porcelain` (untracked files listed one by one). */
export const status = (root: string) =>
  gitSync(root, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean).sort()

/** The checkout openRuntime keeps for task `taskId` of the repository containing `workspace`. */
export const checkoutFor = (workspace: string, taskId: string) => locateTaskCheckout(workspace, taskId)
