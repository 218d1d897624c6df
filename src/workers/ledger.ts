import { addToLedger, type CostLedger, now } from '../domain'
import type { Store } from '../storage/store'

/**
 * Adds a delta to an attempt's ledger and its task's in one transaction, so the task's figures are
 * always the sum of its attempts'. Returns the task's new ledger.
 */
export function chargeRun(
  store: Store,
  taskId: string,
  attemptId: string,
  delta: Partial<CostLedger>,
  at = now(),
): CostLedger | null {
  return store.transaction(() => {
    const task = store.tasks.get(taskId)
    const attempt = store.attempts.get(attemptId)
    if (!task || !attempt) return null
    const ledger = addToLedger(task.cost_ledger, delta)
    store.attempts.patch(attemptId, { cost_ledger: addToLedger(attempt.cost_ledger, delta) })
    store.tasks.patch(taskId, { cost_ledger: ledger }, at)
    return ledger
  })
}
