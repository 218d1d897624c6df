import { type CheckSpec, DEFAULT_CHECK_TIMEOUT_SECONDS } from '../../domain'

/** A check as it runs: its timeout filled in. */
export type ResolvedCheck = Required<CheckSpec>

/**
 * The checks a task runs: the workspace's, then the task's own; a task check named like a
 * workspace check replaces it (in the workspace's place).
 */
export function checksOf(workspaceChecks: CheckSpec[], taskChecks: CheckSpec[]): ResolvedCheck[] {
  const own = new Map(taskChecks.map((check) => [check.name, check]))
  const merged = [
    ...workspaceChecks.map((check) => own.get(check.name) ?? check),
    ...taskChecks.filter((check) => !workspaceChecks.some((shared) => shared.name === check.name)),
  ]
  return merged.map((check) => ({
    name: check.name,
    command: check.command,
    timeout_seconds: check.timeout_seconds ?? DEFAULT_CHECK_TIMEOUT_SECONDS,
  }))
}
