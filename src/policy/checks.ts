import type { NetworkMode, TaskPolicy } from '../domain'
import { AppError } from '../errors'
import { commandMatchesEntry, proseMatchesEntry } from './blocked'
import { gitWriteKind, parseGit } from './git'
import { isLocalHost } from './hosts'
import { networkHosts } from './network'
import { secretUse } from './secrets'
import { parseShell, type SimpleCommand } from './shell-words'
import { workspaceAllowed } from './workspace'

/**
 * Pre-flight checks of what a task is asked to run. They read the command the way the shell
 * would (see shell-words.ts) and judge programs and their arguments, never substrings.
 *
 * Shell commands, in this order (the first failure wins): the workspace allowlist, then for
 * every simple command: blocked-commands entries, network use against the effective network
 * mode (`disabled` refuses any; `localhost` allows only when every host is local: localhost,
 * 127.x, ::1), git writes (unless `allow_git_write`), secret access (unless `allow_secrets`),
 * and finally commands whose program cannot be known from the text (`$(echo c)url`, `$CMD`,
 * `sh -c "$X"`, `… | sh`) are refused whenever the policy restricts anything at all.
 *
 * Agent prompts are prose, and an agent decides at run time what to execute: scanning the words
 * says nothing reliable about that and mostly produces false refusals ("add an API key field").
 * Agents are held by the sandbox, the scrubbed environment and tool approvals instead, so a
 * prompt is checked only against the workspace allowlist and the blocked-commands entries as
 * whole-word sequences.
 *
 * These are best-effort text checks: the boundary is the sandbox (sandbox.ts), which also covers
 * what scripts, package managers and agents run.
 */
export const POLICY_RULES = [
  'network',
  'git-write',
  'secrets',
  'blocked-command',
  'workspace-allowlist',
  'dynamic-command',
] as const
export type PolicyRule = (typeof POLICY_RULES)[number]

export interface PolicyViolation {
  ok: false
  rule: PolicyRule
  offending: string
  message: string
}

export type CheckResult = { ok: true } | PolicyViolation

export interface CheckContext {
  workspace: string
}

type CommandPolicy = Pick<
  TaskPolicy,
  | 'allow_network'
  | 'network_mode'
  | 'allow_git_write'
  | 'allow_secrets'
  | 'blocked_commands'
  | 'allowed_workspaces'
>

const OK: CheckResult = { ok: true }

export function checkCommand(command: string, policy: CommandPolicy, ctx: CheckContext): CheckResult {
  const workspace = checkWorkspace(policy, ctx)
  if (!workspace.ok) return workspace
  const commands = parseShell(command)
  const rules: Array<(cmd: SimpleCommand) => PolicyViolation | undefined> = [
    (cmd) => blockedRule(cmd, policy),
    (cmd) => networkRule(cmd, effectiveNetworkMode(policy)),
    (cmd) => (policy.allow_git_write ? undefined : gitRule(cmd)),
    (cmd) => (policy.allow_secrets ? undefined : secretsRule(cmd)),
    (cmd) => (restrictsAnything(policy) ? dynamicRule(cmd) : undefined),
  ]
  for (const rule of rules) {
    for (const cmd of commands) {
      const violation = rule(cmd)
      if (violation) return violation
    }
  }
  return OK
}

export function checkPrompt(prompt: string, policy: CommandPolicy, ctx: CheckContext): CheckResult {
  const workspace = checkWorkspace(policy, ctx)
  if (!workspace.ok) return workspace
  const entry = policy.blocked_commands.find((candidate) => proseMatchesEntry(prompt, candidate))
  if (entry === undefined) return OK
  return violation(
    'blocked-command',
    entry,
    `the prompt mentions '${entry}', which this task's policy blocks`,
  )
}

/** Throws the 403 the HTTP layer reports for a refused check. */
export function assertAllowed(result: CheckResult): void {
  if (result.ok) return
  throw new AppError('forbidden', 'policy_violation', result.message, {
    rule: result.rule,
    offending: result.offending,
  })
}

/** `allow_network` is the legacy switch for `enabled`. */
export function effectiveNetworkMode(
  policy: Pick<TaskPolicy, 'allow_network' | 'network_mode'>,
): NetworkMode {
  return policy.allow_network ? 'enabled' : policy.network_mode
}

function restrictsAnything(policy: CommandPolicy): boolean {
  return (
    effectiveNetworkMode(policy) !== 'enabled' ||
    !policy.allow_git_write ||
    !policy.allow_secrets ||
    policy.blocked_commands.length > 0
  )
}

function violation(rule: PolicyRule, offending: string, what: string): PolicyViolation {
  return { ok: false, rule, offending, message: `${what} (rule ${rule}): ${offending}` }
}

function checkWorkspace(policy: CommandPolicy, ctx: CheckContext): CheckResult {
  if (workspaceAllowed(ctx.workspace, policy.allowed_workspaces)) return OK
  return violation('workspace-allowlist', ctx.workspace, "the workspace is outside this task's allowlist")
}

function blockedRule(cmd: SimpleCommand, policy: CommandPolicy): PolicyViolation | undefined {
  const entry = policy.blocked_commands.find((candidate) => commandMatchesEntry(cmd, candidate))
  return entry === undefined
    ? undefined
    : violation('blocked-command', cmd.source, `'${entry}' is blocked by this task's policy`)
}

function networkRule(cmd: SimpleCommand, mode: NetworkMode): PolicyViolation | undefined {
  if (mode === 'enabled') return undefined
  const hosts = networkHosts(cmd.argv)
  if (hosts === null) return undefined
  if (mode === 'disabled')
    return violation('network', cmd.source, "network access is disabled by this task's policy")
  const remote = hosts.find((host) => !isLocalHost(host))
  if (remote === undefined) return undefined
  const where = remote === '' ? 'a host the command does not name' : remote
  return violation(
    'network',
    cmd.source,
    `this task's policy allows only localhost, and the command reaches ${where}`,
  )
}

function gitRule(cmd: SimpleCommand): PolicyViolation | undefined {
  const git = parseGit(cmd.argv)
  if (git === null) return undefined
  const kind = gitWriteKind(git)
  if (kind === 'write')
    return violation('git-write', cmd.source, "git writes are not allowed by this task's policy")
  if (kind === 'unknown')
    return violation('dynamic-command', cmd.source, 'the git subcommand is only known when the command runs')
  return undefined
}

function secretsRule(cmd: SimpleCommand): PolicyViolation | undefined {
  const found = secretUse(cmd)
  if (found === undefined) return undefined
  return violation('secrets', cmd.source, `reading secrets (${found}) is not allowed by this task's policy`)
}

function dynamicRule(cmd: SimpleCommand): PolicyViolation | undefined {
  if (cmd.opaque === undefined) return undefined
  return violation('dynamic-command', cmd.source, `${cmd.opaque}, so the policy cannot check it`)
}
