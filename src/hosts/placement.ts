import { RUNNER_LABELS, type RunnerKind } from '../domain'
import type { StoredRunnerHost } from '../storage/runner-hosts'

/** What placement asks of a host for a task. */
export interface PlacementNeeds {
  runner: RunnerKind
  runner_labels: string[]
  /** The task's policy requires a sandbox. */
  require_sandbox: boolean
}

/** Why this host cannot run the task, or null when it can. */
export function mismatch(host: StoredRunnerHost, needs: PlacementNeeds): string | null {
  const missing = needs.runner_labels.filter((label) => !host.labels.includes(label))
  if (missing.length > 0) return `it lacks the label(s) ${missing.join(', ')}`
  if (host.runners[needs.runner] === undefined) return `it does not run ${RUNNER_LABELS[needs.runner]}`
  if (needs.require_sandbox && host.sandbox !== true) return 'it has no sandbox, which the policy requires'
  return null
}

/** Why none of `hosts` can run the task (each host's reason), or null when one can. */
export function noneServes(hosts: StoredRunnerHost[], needs: PlacementNeeds, which: string): string | null {
  if (hosts.length === 0) return `no runner host is ${which}`
  const reasons: string[] = []
  for (const host of hosts) {
    const why = mismatch(host, needs)
    if (why === null) return null
    reasons.push(`${host.name}: ${why}`)
  }
  return `no ${which} runner host can run it (${reasons.join('; ')})`
}
