import { simpleGit } from 'simple-git'
import { AppError } from '../errors.ts'

export interface GitOptions {
  /** Run against this index file instead of the repository's own, so the real index is never touched. */
  indexFile?: string
  /**
   * Name the repository explicitly instead of letting git discover it from `cwd`. Discovery reads
   * `.git` files, `commondir` and `config.worktree` from the directory it starts in, so a tree a
   * run could write is only ever reached with its trusted git directory given here.
   */
  gitDir?: string
  /** With `gitDir`: the files to treat as the working tree (read as plain files, never as a repository). */
  workTree?: string
  /** Extra `-c` settings for this one call (they win over every configuration file). */
  config?: string[]
  /** Variables for this one call (GIT_AUTHOR_* for a commit made in someone else's name). */
  env?: Record<string, string>
  /** Leave the user's transports and credentials in force (a push the user asked for); hooks stay off. */
  userTransport?: boolean
}

/** The identity for commits openRuntime makes for itself: archives, merge scaffolding, an empty base. */
export const OWN_IDENTITY = ['-c', 'user.name=openRuntime', '-c', 'user.email=openruntime@localhost']

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904'

/**
 * Settings every git process the server starts runs with, whichever repository it works on: no
 * hook, no fsmonitor daemon, no transport but the ones a call names itself, and replace refs
 * ignored. Command-line `-c` wins over every configuration file, so nothing a repository's
 * configuration says can start a program through these. (Diff drivers and textconv are refused
 * by the diff calls themselves: `--no-ext-diff --no-textconv`.)
 */
export const HARDENING_SETTINGS = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'protocol.allow=never',
  'core.sshCommand=false',
  'credential.helper=',
]
const HARDENING = HARDENING_SETTINGS.flatMap((setting) => ['-c', setting])

/**
 * For a push the user asked for: the transports, ssh command and credential helpers of the
 * user's own configuration (the user's repository and global files; never a task's git directory,
 * which is not named) stay in force, while hooks and fsmonitor are still off.
 */
const USER_TRANSPORT = HARDENING_SETTINGS.filter(
  (setting) => setting.startsWith('core.fsmonitor') || setting.startsWith('core.hooksPath'),
).flatMap((setting) => ['-c', setting])

/**
 * Environment git needs from us: never prompt, never substitute objects behind a replace ref.
 * GIT_TRACE_PERFORMANCE makes every git print one timing line on stderr as it exits: simple-git
 * waits 50 ms after a command that printed nothing at all (update-ref, read-tree, a rev-parse
 * that finds nothing), and that line spares the wait. It is taken out of everything we read.
 */
const FIXED_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_NO_REPLACE_OBJECTS: '1', GIT_TRACE_PERFORMANCE: '2' }

const TRACE_LINE = /^\d\d:\d\d:\d\d\.\d+ +trace\.c:\d+ +performance: .*\n?/gm

/**
 * What counts as a failure once the timing lines are gone: a non-zero exit with something on
 * stderr, as simple-git's own rule says (so a command whose only signal is its exit status still
 * resolves, as callers expect).
 */
function gitErrors(
  error: Buffer | Error | undefined,
  result: { stdOut: Buffer[]; stdErr: Buffer[]; exitCode: number },
): Buffer | Error | undefined {
  // simple-git's own rule already ran (turning stderr into an error): decided again here, unless
  // the process never ran at all (no exit status, nothing printed).
  if (error instanceof Error && result.stdErr.length === 0 && result.exitCode !== 0) return error
  const stderr = Buffer.concat(result.stdErr).toString('utf8').replace(TRACE_LINE, '')
  if (result.exitCode === 0 || stderr.trim() === '') return undefined
  return Buffer.concat([...result.stdOut, Buffer.from(stderr)])
}

// simple-git rejects a task whose explicit env carries a guarded key, so the inherited env handed
// over must leave out exactly the keys it guards, and list the git variables we set ourselves.
const GUARDED = new Set(['editor', 'pager', 'prefix', 'ssh_askpass', 'visual'])
const isGuarded = (key: string) => {
  const k = key.toLowerCase()
  return k.startsWith('git_') || GUARDED.has(k)
}
/** The server's environment without any variable that would steer git (GIT_*, editors, pagers). */
export function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !isGuarded(key)) env[key] = value
  }
  return env
}

/**
 * A git process must not outlive the server: a merge or cleanup it was writing would go on after
 * a crash, racing the recovery that rolls it back. Where util-linux's setpriv exists, each git
 * runs under it with the kernel's parent-death signal set before git starts, so it dies with the
 * server.
 */
export const BOUND_TO_SERVER = Bun.which('setpriv') !== null && process.platform === 'linux'

// The -c keys above are what simple-git's guard calls unsafe; here they switch things off.
const UNSAFE_ALLOWED = {
  allowUnsafeFsMonitor: true,
  allowUnsafeHooksPath: true,
  allowUnsafeProtocolOverride: true,
  allowUnsafeSshCommand: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeCustomBinary: BOUND_TO_SERVER,
}

/**
 * Runs one git command in `cwd` and returns its stdout. Any failure becomes a 412 AppError carrying
 * git's own message: a broken repository must stop the caller, never be mistaken for "no changes".
 * A simple-git trait shapes the callers: a non-zero exit with an empty stderr resolves (so no
 * command is used whose only signal is its exit status). Completion is taken from the `close`
 * event alone, and no command is silent (see FIXED_ENV), so none waits for output that never comes.
 */
export async function git(cwd: string, args: string[], options: GitOptions = {}): Promise<string> {
  const env: Record<string, string> = { ...inheritedEnv(), ...FIXED_ENV }
  if (options.indexFile) env.GIT_INDEX_FILE = options.indexFile
  Object.assign(env, options.env)
  const instance = simpleGit({
    baseDir: cwd,
    completion: { onClose: true, onExit: false },
    allowEnvironment: Object.keys(env).filter(isGuarded),
    unsafe: UNSAFE_ALLOWED,
    errors: gitErrors,
    ...(BOUND_TO_SERVER ? { binary: ['setpriv', '--pdeathsig=KILL'] } : {}),
  }).env(env)
  const argv = [...(BOUND_TO_SERVER ? ['git'] : []), ...gitArguments(args, options)]
  try {
    return await instance.raw(argv)
  } catch (error) {
    throw toAppError(error, cwd, args)
  }
}

/** git's arguments for one call: the hardening, the call's own settings, the repository, then `args`. */
function gitArguments(args: string[], options: GitOptions): string[] {
  const location = options.gitDir
    ? [`--git-dir=${options.gitDir}`, ...(options.workTree ? [`--work-tree=${options.workTree}`] : [])]
    : []
  const perCall = (options.config ?? []).flatMap((setting) => ['-c', setting])
  return [...(options.userTransport ? USER_TRANSPORT : HARDENING), ...perCall, ...location, ...args]
}

/**
 * Like `git`, for output that is bytes (a blob, exactly as stored): simple-git hands back text.
 * A non-zero exit is a failure, with git's message.
 */
export async function gitBytes(cwd: string, args: string[], options: GitOptions = {}): Promise<Uint8Array> {
  const argv = [
    ...(BOUND_TO_SERVER ? ['setpriv', '--pdeathsig=KILL'] : []),
    'git',
    ...gitArguments(args, options),
  ]
  const env: Record<string, string> = {
    ...inheritedEnv(),
    GIT_TERMINAL_PROMPT: '0',
    GIT_NO_REPLACE_OBJECTS: '1',
  }
  if (options.indexFile) env.GIT_INDEX_FILE = options.indexFile
  const proc = Bun.spawn(argv, { cwd, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).bytes(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw toAppError(new Error(err.trim() || `exit status ${code}`), cwd, args)
  return out
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
export async function resolveCommit(
  cwd: string,
  rev: string,
  options: GitOptions = {},
): Promise<string | null> {
  const out = await git(cwd, ['rev-parse', '-q', '--verify', `${rev}^{commit}`], options)
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
