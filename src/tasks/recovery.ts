import type { TaskLifecycle } from '../lifecycle'
import { groupBelongsToRun, terminateGroup } from '../process/process-group'
import type { RunDispatch } from '../queue/dispatch'
import type { Store } from '../storage/store'
import type { IntentSettler } from './intent-recovery'

export interface RecoveryReport {
  stopped: string[]
  killedGroups: number[]
  requeued: string[]
  /** Merges, cleanups and restores a crash interrupted, and what recovery did with each. */
  repository: { task_id: string; kind: string; outcome: string }[]
}

/**
 * Runs at start-up, before any worker takes a job: repository work the previous server left half
 * done is rolled back or completed; what was running when it died is ended (its process group
 * killed, if still alive; nobody would observe it) and recorded as `stopped`; every run waiting in
 * the run outbox is in the queue again (whatever happened to the queue file).
 */
export async function recoverAfterRestart(
  store: Store,
  lifecycle: TaskLifecycle,
  intents: IntentSettler,
  dispatch: RunDispatch,
  graceMs: number,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { stopped: [], killedGroups: [], requeued: [], repository: [] }
  report.repository = await intents.settleAll()

  for (const mark of store.attempts.markedProcesses()) {
    if (await groupBelongsToRun(mark.pgid, mark.process_started)) {
      await terminateGroup(mark.pgid, graceMs)
      report.killedGroups.push(mark.pgid)
    }
    store.attempts.clearProcess(mark.attempt_id)
  }

  for (const taskId of store.tasks.idsWithStatus(['running', 'needs-input'])) {
    const snapshot = lifecycle.snapshot(taskId)
    const attempt = store.attempts.latest(taskId)
    // A runner host's run went on without this server: its lease decides (src/hosts), not a restart.
    if (attempt?.runner_host_id) continue
    if (snapshot.can({ type: 'RECOVER' })) {
      const summary =
        'Stopped: the server restarted while this run was in progress; nothing was attached to it'
      lifecycle.transition(
        taskId,
        { type: 'RECOVER' },
        {
          message: summary,
          category: 'attempt-stopped',
          attempt_id: attempt?.id ?? null,
          metadata: { attempt_id: attempt?.id ?? null, reason: 'server-restarted' },
          write: (at) => {
            if (attempt && attempt.finished_at === null) {
              store.attempts.patch(attempt.id, {
                finished_at: at,
                summary,
                stop_reason: 'server-restarted',
              })
            }
          },
        },
      )
      report.stopped.push(taskId)
    }
  }
  report.requeued = await dispatch.refill()
  return report
}
