import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { EffectivePolicy } from '../domain'
import { type SandboxedCommand, type SandboxInfo, sandboxCommand } from '../policy'
import type { PreparedWorkspace } from './isolation'

export interface RunSandboxRequest {
  argv: string[]
  env: Record<string, string>
  policy: EffectivePolicy
  workspace: string
  prepared: PreparedWorkspace
  /** The runner's own state (e.g. ~/.claude, CODEX_HOME), written by every run. */
  stateDirs: string[]
  /** The runner's configuration inside its state (hooks, MCP servers…), kept read-only. */
  configuration?: string[]
  /** An agent run's network (its model API only): its sockets are bound in, its bridge is visible. */
  network?: { mount: { source: string; target: string }; programs: string[] }
  sandbox: SandboxInfo
  /** The server's data directory (database, queue, token): invisible inside every run. */
  dataDir: string
  /** A reviewer's run: the worktree is mounted read-only too, so nothing in it can be changed. */
  readOnlyWorkspace?: boolean
}

/**
 * A run's process under bubblewrap: writable are only its worktree (or, unisolated, its
 * workspace), the runner's state directories, a private /tmp and, when the policy allows git
 * writes, the task's own git directory. Everything of the user's repository stays read-only, the
 * worktree's `.git` pointer included (so the run's git always means the task's git directory).
 * The server's data directory, the usual credential locations and the repository's `.env*` files
 * are hidden. Throws the 412 `sandbox_required` when the policy requires a sandbox that cannot be
 * built.
 */
export function sandboxRun(request: RunSandboxRequest): SandboxedCommand {
  const { prepared, policy } = request
  const repoRoot = prepared.repoRoot ?? request.workspace
  const workspaceDir = prepared.worktreePath ?? prepared.executionDir
  const gitWritable = prepared.gitDir !== null && policy.allow_git_write && !request.readOnlyWorkspace
  // Bound explicitly (not just left visible under `/`) so they are there when the repository lives
  // under /tmp, which the sandbox replaces with its own.
  const readOnly = [
    ...(request.readOnlyWorkspace ? [workspaceDir] : []),
    ...(prepared.worktreePath ? [join(prepared.worktreePath, '.git')] : []),
    ...(prepared.gitDir && !gitWritable ? [prepared.gitDir] : []),
    ...(prepared.sharedObjects ? [prepared.sharedObjects] : []),
    ...(request.configuration ?? []),
  ]
    .filter(existsSync)
    .map((path) => ({ source: realpathSync(path), target: realpathSync(path) }))
  return sandboxCommand({
    argv: request.argv,
    policy,
    mounts: [...(request.network ? [request.network.mount] : []), ...readOnly],
    programs: request.network?.programs,
    writableDirs: [
      ...(request.readOnlyWorkspace ? [] : [workspaceDir]),
      ...(gitWritable && prepared.gitDir ? [prepared.gitDir] : []),
      ...request.stateDirs,
    ],
    alwaysHidden: [request.dataDir],
    cwd: prepared.executionDir,
    home: request.env.HOME || homedir(),
    hideFiles: [...new Set([repoRoot, request.workspace])].flatMap(envFiles),
    sandbox: request.sandbox,
  })
}

function envFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.startsWith('.env'))
      .map((entry) => join(dir, entry.name))
  } catch {
    return []
  }
}
