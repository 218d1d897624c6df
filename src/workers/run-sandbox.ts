import { readdirSync } from 'node:fs'
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
  /** An agent run's network (its model API only): its sockets are bound in, its bridge is visible. */
  network?: { mount: { source: string; target: string }; programs: string[] }
  sandbox: SandboxInfo
}

/**
 * A run's process under bubblewrap: writable are only its worktree (or, unisolated, its
 * workspace), the git metadata the worktree uses, the runner's state directories and a private
 * /tmp; the usual credential locations and the repository's `.env*` files are hidden.
 * Throws the 412 `sandbox_required` when the policy requires a sandbox that cannot be built.
 */
export function sandboxRun(request: RunSandboxRequest): SandboxedCommand {
  const { prepared, policy } = request
  const repoRoot = prepared.repoRoot ?? request.workspace
  return sandboxCommand({
    argv: request.argv,
    policy,
    mounts: request.network ? [request.network.mount] : [],
    programs: request.network?.programs,
    writableDirs: [prepared.worktreePath ?? prepared.executionDir, ...prepared.gitDirs, ...request.stateDirs],
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
