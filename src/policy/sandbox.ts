import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { TaskPolicy } from '../domain'
import { AppError } from '../errors'
import { effectiveNetworkMode } from './checks'
import { isWithin } from './workspace'

/**
 * The boundary the text checks cannot be: every task process runs under bubblewrap with the
 * whole filesystem read-only except the directories it is given, the usual credential locations
 * hidden, a private /tmp, its own pid namespace and, unless the network mode is `enabled`, its
 * own network namespace (only a loopback, which bwrap brings up, so `localhost` mode reaches
 * servers started inside the sandbox and nothing on the host; an agent run reaches its model API
 * through sockets `mounts` brings in, see workers/network).
 *
 * Process groups: no `--new-session`, so bwrap and everything under it stay in the group the
 * supervisor created, and killing that group from outside reaches them all. With
 * `--unshare-pid` bwrap's init is pid 1 of the namespace; when it dies the kernel kills every
 * process left inside, so even a grandchild that called setsid() cannot outlive the task.
 *
 * Git: a worktree's index and refs live in the main repository's `.git/worktrees/<name>` and
 * commits write to `.git/objects`; pass those in `writableDirs` when the task may use them.
 */
export interface SandboxInfo {
  available: boolean
  bwrap_path?: string
  version?: string
  reason?: string
}

export type SandboxPolicy = Pick<
  TaskPolicy,
  'allow_network' | 'network_mode' | 'allow_secrets' | 'allow_git_write'
> & {
  require_sandbox?: boolean
}

export interface SandboxRequest {
  argv: string[]
  policy: SandboxPolicy
  /** The worktree and the runner's state directories (files are accepted too). */
  writableDirs: string[]
  /** Hidden whatever the policy allows (the server's own data directory). */
  alwaysHidden?: string[]
  cwd: string
  home: string
  /** Credential locations to hide; defaults to `defaultHiddenPaths(home)`. */
  hiddenPaths?: string[]
  /** Further files to hide, such as the `.env*` files of the workspace's repository root. */
  hideFiles?: string[]
  /** Overrides detection (tests, or a caller that already probed). */
  sandbox?: SandboxInfo
  /**
   * Host paths shown read-only inside the sandbox, after its private /tmp, the writable and the
   * hidden ones: the sockets of an agent run's network at a path of their own, a worktree's `.git`
   * pointer inside the writable worktree, the repository's objects under a private /tmp.
   */
  mounts?: Array<{ source: string; target: string }>
  /** Programs the command starts besides `argv[0]`: shown again when they live under /tmp. */
  programs?: string[]
}

export type SandboxedCommand =
  | { argv: string[]; active: true }
  | { argv: string[]; active: false; reason: string }

/** Relative to the home directory. */
const HIDDEN_IN_HOME = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.config/gcloud',
  '.config/gh',
  '.netrc',
  '.docker',
  '.kube',
  '.git-credentials',
  '.password-store',
  '.npmrc',
  '.pypirc',
  '.pgpass',
]

export function defaultHiddenPaths(home: string): string[] {
  return HIDDEN_IN_HOME.map((path) => join(home, path))
}

/** The flags every sandbox uses, so the probe fails exactly when real use would. */
const BASE_FLAGS = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']
const ISOLATION_FLAGS = ['--unshare-pid', '--unshare-ipc', '--die-with-parent']
const PROBE_TIMEOUT_MS = 10_000

const INSTALL_HINT =
  'Install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; ' +
  'Arch: sudo pacman -S bubblewrap) and make sure unprivileged user namespaces are allowed ' +
  '(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ the AppArmor userns restriction must permit bwrap).'

const cached = new Map<string, SandboxInfo>()

/**
 * Whether bwrap can actually build a sandbox here (it may be installed but unusable). Cached per
 * binary. `bwrap` names the binary to use instead of the one on PATH.
 */
export function detectSandbox(options: { refresh?: boolean; bwrap?: string } = {}): SandboxInfo {
  const key = options.bwrap ?? ''
  let info = cached.get(key)
  if (info === undefined || options.refresh) {
    info = probe(options.bwrap)
    cached.set(key, info)
  }
  return info
}

function probe(explicit: string | undefined): SandboxInfo {
  if (process.platform !== 'linux')
    return { available: false, reason: `bubblewrap needs Linux (this is ${process.platform})` }
  const path = explicit ?? Bun.which('bwrap')
  if (path === null) return { available: false, reason: 'bubblewrap (bwrap) is not installed' }
  if (!isExecutable(path)) return { available: false, reason: `bubblewrap was not found at ${path}` }
  const versionRun = Bun.spawnSync([path, '--version'], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: PROBE_TIMEOUT_MS,
  })
  const version = /[\d.]+/.exec(versionRun.stdout.toString())?.[0]
  const trial = Bun.spawnSync([path, ...BASE_FLAGS, ...ISOLATION_FLAGS, '--unshare-net', 'true'], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: PROBE_TIMEOUT_MS,
  })
  if (trial.exitCode === 0) return { available: true, bwrap_path: path, version }
  const why = trial.stderr.toString().trim() || `exit status ${trial.exitCode ?? trial.signalCode}`
  return {
    available: false,
    bwrap_path: path,
    version,
    reason: `bwrap is installed but cannot create a sandbox here: ${why}`,
  }
}

/** Throws the 412 `sandbox_required` when the policy requires a sandbox and none can be built here. */
export function assertSandboxPossible(
  policy: Pick<SandboxPolicy, 'require_sandbox'>,
  info: SandboxInfo,
): void {
  if (info.available || !policy.require_sandbox) return
  const reason = info.reason ?? 'bubblewrap is unavailable'
  throw new AppError(
    'precondition',
    'sandbox_required',
    `This task's policy requires a sandbox, but ${reason}. ${INSTALL_HINT}`,
    { reason },
  )
}

export function sandboxCommand(request: SandboxRequest): SandboxedCommand {
  const { argv, policy } = request
  const info = request.sandbox ?? detectSandbox()
  const mode = effectiveNetworkMode(policy)
  if (!info.available || info.bwrap_path === undefined) {
    assertSandboxPossible(policy, info)
    return { argv, active: false, reason: `not sandboxed: ${info.reason ?? 'bubblewrap is unavailable'}` }
  }
  if (!policy.require_sandbox && mode === 'enabled' && policy.allow_secrets && policy.allow_git_write) {
    return { argv, active: false, reason: 'not sandboxed: the policy allows full access' }
  }
  const writable = unique(canonical(request.writableDirs))
  const programs = [argv[0] ?? '', process.execPath, ...(request.programs ?? [])]
  const args = [info.bwrap_path, ...BASE_FLAGS, ...visibleUnderTmp(programs)]
  for (const path of writable) args.push('--bind', path, path)
  const hidden = canonical(request.alwaysHidden ?? [])
  if (!policy.allow_secrets) {
    hidden.push(...canonical(request.hiddenPaths ?? defaultHiddenPaths(request.home)))
    // A task may keep its own `.env` inside its worktree; only copies outside it are hidden.
    hidden.push(
      ...canonical(request.hideFiles ?? []).filter((file) => !writable.some((dir) => isWithin(file, dir))),
    )
  }
  for (const path of unique(hidden)) {
    if (statSync(path).isDirectory()) args.push('--tmpfs', path)
    else args.push('--ro-bind', '/dev/null', path)
  }
  for (const mount of request.mounts ?? []) args.push('--ro-bind', mount.source, mount.target)
  args.push(...ISOLATION_FLAGS)
  if (mode !== 'enabled') args.push('--unshare-net')
  args.push('--chdir', request.cwd, '--', ...argv)
  return { argv: args, active: true }
}

/**
 * The private /tmp hides everything the host keeps there, including programs the run needs when
 * they are installed under /tmp (a checkout in a temp dir, its .tools/ with Bun and the agent CLIs).
 * Their top-level folder under /tmp is shown again, read-only; writable dirs are bound after this.
 */
function visibleUnderTmp(programs: string[]): string[] {
  const tops = canonical(programs.filter((path) => path.startsWith('/')))
    .filter((path) => path.startsWith('/tmp/'))
    .map((path) => `/tmp/${path.split('/')[2]}`)
  return unique(tops).flatMap((dir) => ['--ro-bind', dir, dir])
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Canonical paths of those that exist: there is nothing to bind or hide at the others. */
function canonical(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) return []
    try {
      return [realpathSync.native(path)]
    } catch {
      return []
    }
  })
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)]
}
