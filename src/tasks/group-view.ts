import type { GroupVariant, TaskView, VariantView } from '../domain'
import type { ChangedFiles } from '../git'

/** How long a task's attempts ran: each from its start to its end, the running one up to now. */
function durationOf(task: TaskView, at: number): number {
  return task.attempts.reduce((sum, attempt) => {
    const end = attempt.finished_at ? Date.parse(attempt.finished_at) : at
    return sum + Math.max(0, end - Date.parse(attempt.started_at))
  }, 0)
}

/** One variant of the group resource, from its task (null once deleted) and its captured result. */
export function variantView(
  variant: GroupVariant,
  index: number,
  task: TaskView | null,
  result: (ChangedFiles & { tree: string }) | null,
): VariantView {
  const ledger = task?.cost_ledger ?? null
  return {
    task_id: variant.task_id,
    position: index + 1,
    title: task?.title ?? `deleted variant ${index + 1}`,
    runner: variant.runner,
    model: variant.model,
    prompt_suffix: variant.prompt_suffix,
    policy_preset: variant.policy_preset,
    status: task?.status ?? null,
    state: task?.state ?? null,
    duration_ms: task ? durationOf(task, Date.now()) : 0,
    tokens: {
      input: ledger?.input_tokens ?? 0,
      output: ledger?.output_tokens ?? 0,
      cache_read: ledger?.cache_read_tokens ?? 0,
      cache_write: ledger?.cache_write_tokens ?? 0,
    },
    cost_cents: ledger?.estimated_cents ?? 0,
    cost_ledger: ledger,
    diff_stat: task?.diff_stat ?? null,
    additions: result?.additions ?? 0,
    deletions: result?.deletions ?? 0,
    files: result?.files ?? [],
    result_tree: result?.tree ?? variant.result_tree,
    archived: task?.worktree_cleaned_at != null,
    merged: task?.worktree_merged_at != null,
    verdicts: task?.check_summary ?? null,
  }
}
