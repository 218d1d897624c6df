import type { CostLedger, EffectivePolicy, RunnerKind, TaskRecord } from '../domain'

/** What the control plane grants with a claim (POST /runner/v1/claim). */
export interface ClaimedRun {
  attempt_id: string
  attempt_number: number
  task_id: string
  run: number
  title: string
  runner: RunnerKind
  command: string
  prompt: string
  resume_session_id: string | null
  model: string | null
  budget_minutes: number
  policy: EffectivePolicy
  base_commit: string | null
  /** The repository's path on the control plane: `/git/<name>.git`. */
  repository: string
  /** What the task has used so far (its cost budget counts every attempt). */
  cost_ledger: CostLedger
  /** The task's worktree was cleaned up on the control plane: whatever this host kept of it goes. */
  fresh_worktree: boolean
  /**
   * A follow-up's last snapshot on the control plane (a commit on top of the base): what this host
   * makes the worktree from when it does not hold it; null for a start, or when none was pushed.
   */
  continue_from: {
    attempt_id: string
    commit: string
    /** The task's own prompt: the goal a fresh session is told when the old one stayed behind. */
    task_prompt: string
  } | null
  /** The name the control plane knows this host by, for what its events say. */
  runner_host: string
}

/**
 * The task as the executors read it, from the claim alone: a runner host has no task database,
 * and what the claim does not say (history, ledger, review state) is no business of a run.
 */
export function taskOfClaim(claim: ClaimedRun, worktree: string): TaskRecord {
  const at = new Date().toISOString()
  return {
    id: claim.task_id,
    title: claim.title,
    prompt: claim.prompt,
    runner: claim.runner,
    command: claim.command,
    model: claim.model,
    workspace: worktree,
    worktree_path: worktree,
    execution_workspace: worktree,
    runner_session_id: claim.resume_session_id,
    base_commit: claim.base_commit,
    diff_stat: null,
    approved_at: null,
    worktree_merged_at: null,
    worktree_cleaned_at: null,
    group_id: null,
    status: 'running',
    budget_minutes: claim.budget_minutes,
    policy: claim.policy,
    effective_policy: claim.policy,
    cost_ledger: claim.cost_ledger,
    runner_labels: [],
    checks: [],
    criteria: [],
    created_at: at,
    updated_at: at,
  }
}
