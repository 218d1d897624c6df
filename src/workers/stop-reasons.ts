import { effectiveBudgetMinutes, policyInForce as policyOf, RUNNER_LABELS, type TaskRecord } from '../domain'
import type { StopReason } from './live-runs'

/** A stop forced by a fault ends the run `failed` (with an error event); any other ends it `stopped`. */
export const isFault = (reason: StopReason) => reason === 'storage-failure' || reason === 'internal-error'

export function stopSummary(reason: StopReason, task: TaskRecord): string {
  switch (reason) {
    case 'user':
      return 'Stopped by the user'
    case 'budget-exceeded': {
      const minutes = effectiveBudgetMinutes(task)
      return `Stopped: exceeded budget of ${minutes} minute${minutes === 1 ? '' : 's'}`
    }
    case 'cost-budget-exceeded': {
      const cents = policyOf(task).budget_cents ?? 0
      return `Stopped: exceeded the cost budget of ${cents} cent${cents === 1 ? '' : 's'}`
    }
    case 'output-limit':
      return `Stopped: its output passed the limit of ${policyOf(task).max_output_mb} MB`
    case 'server-shutdown':
      return 'Stopped: the server shut down'
    case 'storage-failure':
      return 'Stopped: the database refused writes (disk full or read-only), so its output could not be kept'
    case 'internal-error':
      return 'Stopped: openRuntime failed handling its output (see the error above)'
    case 'host-lost':
      return 'Stopped: the control plane had counted its runner host as lost and failed the run'
  }
}

/**
 * How a run that ended by itself ended, a local run's and a runner host's alike: failed when the
 * process exited non-zero or its executor saw the runner fail (an exit 0 that reported an error).
 */
export function exitVerdict(
  task: Pick<TaskRecord, 'runner'>,
  exit: { code: number | null; text: string },
  failure: string | null,
): { failed: boolean; summary: string } {
  const failed = exit.code !== 0 || failure !== null
  const how = exit.code !== 0 || failure === null ? `with ${exit.text}` : `with ${exit.text}, but ${failure}`
  return { failed, summary: `${RUNNER_LABELS[task.runner]} runner ${failed ? 'failed' : 'completed'} ${how}` }
}

/** What the outcome event says about the stop, beyond its reason. */
export function stopDetails(reason: StopReason | null, task: TaskRecord, droppedBytes: number) {
  const policy = policyOf(task)
  switch (reason) {
    case 'budget-exceeded':
      return { budget_minutes: effectiveBudgetMinutes(task) }
    case 'cost-budget-exceeded':
      return { budget_cents: policy.budget_cents }
    case 'output-limit':
      return { max_output_mb: policy.max_output_mb, dropped_bytes: droppedBytes }
    default:
      return {}
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
