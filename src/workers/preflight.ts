import { type EffectivePolicy, RUNNER_LABELS, type RunnerKind, type TaskRecord } from '../domain'
import { AppError } from '../errors'
import { mayBeInRepository } from '../git'
import { assertAllowed, assertSandboxPossible, checkCommand, checkPrompt, type SandboxInfo } from '../policy'
import { runnerOf } from './registry'
import type { RunnerCatalog } from './runner-catalog'

export const runnerUnavailable = (runner: RunnerKind, reason: string | null) =>
  new AppError(
    'precondition',
    'runner_unavailable',
    `Cannot start ${RUNNER_LABELS[runner]} runner: ${reason ?? 'it is not available'}`,
    { runner, reason },
  )

/** A workspace outside git has no worktree to isolate a run: only a policy that says so runs in it. */
export const inPlaceRefused = (workspace: string) =>
  new AppError(
    'forbidden',
    'policy_violation',
    `the workspace is not a git repository, so the task would change it directly; the policy does not allow that (rule in-place): ${workspace}. Put it under git, or allow running in place (policy allow_in_place)`,
    { rule: 'in-place', offending: workspace },
  )

/**
 * What is checked before a run is queued, so a run that cannot start is refused while nothing has
 * changed yet: the policy's checks of the command or prompt (403), a required sandbox that cannot be
 * built here (412), and an agent CLI that is missing or broken (412). The policy's checks also run
 * when a task is created, so a task the policy refuses is never stored; they run again at every
 * start because the workspace and the allowlist entries are paths, and a link among them can be
 * pointed elsewhere in between.
 */
export class Preflight {
  constructor(
    private readonly runners: RunnerCatalog,
    private readonly sandbox: () => SandboxInfo,
  ) {}

  /** `here: false` for a run on a runner host: its runner and sandbox are the host's (placement checks them). */
  async assertCanRun(task: TaskRecord, policy: EffectivePolicy, { here = true } = {}): Promise<void> {
    this.assertPolicyAllows(task, policy)
    if (here) assertSandboxPossible(policy, this.sandbox())
    // What cannot be a repository is refused here, without a git process (a few ms of every start
    // in a worktree); whether git takes the rest for one is decided where the run is prepared,
    // which refuses a run in place just the same before anything of it starts (run.ts).
    if (!policy.allow_in_place && !mayBeInRepository(task.workspace)) throw inPlaceRefused(task.workspace)
    if (!here) return
    const info = await this.runners.get(task.runner)
    if (!info.available) throw runnerUnavailable(task.runner, info.reason)
  }

  /** The policy's checks of what the task runs: its shell command, or its agent's prompt (403). */
  assertPolicyAllows(task: TaskRecord, policy: EffectivePolicy): void {
    this.assertText(task, policy, runnerOf(task.runner).input === 'command' ? task.command : task.prompt)
  }

  /** A command for a shell (the command itself, or a reply written to its stdin), else a prompt. */
  assertText(task: TaskRecord, policy: EffectivePolicy, text: string): void {
    const check = runnerOf(task.runner).input === 'command' ? checkCommand : checkPrompt
    assertAllowed(check(text, policy, { workspace: task.workspace }))
  }
}
