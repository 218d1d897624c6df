import { simpleGit } from 'simple-git'
import { AppError } from '../errors.ts'

export interface GitOptions {
  /** Run against this index file instead of the worktree's own, so the real index is never touched. */
  indexFile?: string
  /**
   * Skip the repository's hooks. Used when openRuntime moves file contents into the user's checkout:
   * that is a data transfer, and a post-checkout hook's exit status would otherwise decide it.
   */
  noHooks?: boolean
}

/** The identity for commits openRuntime makes for itself: archives, merge scaffolding, an empty base. */
export const OWN_IDENTITY = ['-c', 'user.name=openRuntime', '-c', 'user.email=openruntime@localhost']

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

// simple-git rejects a task whose explicit env carries a guarded key, so the inherited env handed
// over together with GIT_INDEX_FILE must leave out exactly the keys it guards.
const GUARDED = new Set(['editor', 'pager', 'prefix', 'ssh_askpass', 'visual'])
const isGuarded = (key: string) => {
  const k = key.toLowerCase()
  return k.startsWith('git_') || GUARDED.has(k)
}

function withIndexEnv(indexFile: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !isGuarded(key)) env[key] = value
  }
  env.GIT_INDEX_FILE = indexFile
  return env
}

/**
 * Runs one git command in `cwd` and returns its stdout. Any failure becomes a 412 AppError carrying
 * git's own message: a broken repository must stop the caller, never be mistaken for "no changes".
 * A simple-git trait shapes the callers: a non-zero exit with an empty stderr resolves (so no
 * command is used whose only signal is its exit status). Completion is taken from the `close`
 * event alone: simple-git's default also waits 50 ms after `exit` for output that never comes,
 * which made every silent git command (worktree add, update-ref…) 50 ms slower.
 */
export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<string> {
  const instance = simpleGit({
    baseDir: cwd,
    completion: { onClose: true, onExit: false },
    allowEnvironment: options.indexFile ? ['GIT_INDEX_FILE'] : [],
    unsafe: { allowUnsafeHooksPath: options.noHooks === true },
  })
  if (options.indexFile) instance.env(withIndexEnv(options.indexFile))
  const argv = options.noHooks ? ['-c', 'core.hooksPath=/dev/null', ...args] : args
  try {
    return await instance.raw(argv)
  } catch (error) {
    throw toAppError(error, cwd, args)
  }
}

function toAppError(error: unknown, cwd: string, args: string[]): AppError {
  const text = (error instanceof Error ? error.message : String(error)).trim()
  if (/not found in \$PATH|ENOENT/.test(text) && !text.startsWith('fatal:')) {
    return new AppError('precondition', 'git_unavailable', 'git is not installed or not on PATH')
  }
  return new AppError('precondition', 'git_failed', `git ${args[0] ?? ''} failed in ${cwd}: ${text}`, {
    cwd,
    args,
    stderr: text,
  })
}

/** Splits NUL-terminated git output (`-z`) into its fields. */
export const splitNul = (out: string): string[] => out.split('\0').filter((field) => field !== '')

/** `rev-parse --verify` that answers null instead of failing when the name does not resolve. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  const out = await git(cwd, ['rev-parse', '-q', '--verify', `${rev}^{commit}`])
  return out.trim() || null
}

/**
 * `-c` options supplying openRuntime's identity where the repository has none of its own, for
 * commits made on the user's behalf (the merge commit).
 */
export async function identityFallback(cwd: string): Promise<string[]> {
  const [name, email] = await Promise.all([
    git(cwd, ['config', '--get', 'user.name']),
    git(cwd, ['config', '--get', 'user.email']),
  ])
  return [
    ...(name.trim() ? [] : ['-c', 'user.name=openRuntime']),
    ...(email.trim() ? [] : ['-c', 'user.email=openruntime@localhost']),
  ]
}
