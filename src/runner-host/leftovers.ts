import { groupBelongsToRun, terminateGroup } from '../process/process-group'
import { AttemptSpool } from './spool'

/**
 * What a previous process of this host left in its spool: attempts with events or an outcome not
 * delivered yet, and runs it never finished. A run of a dead host process may still be running (no
 * sandbox ended it with its parent, no cgroup held it): nobody watches it and the control plane has
 * failed or will fail it, so its process group is ended (SIGTERM, then SIGKILL after `graceMs`),
 * and its outcome says so. Runs before anything else of the new process: before it registers, and
 * before its limits clear the cgroups (which would end the run without the report saying so).
 */
export async function endLeftovers(
  spoolDir: string,
  graceMs: number,
  log: (message: string) => void,
): Promise<AttemptSpool[]> {
  const spools: AttemptSpool[] = []
  for (const attemptId of AttemptSpool.leftIn(spoolDir)) {
    const spool = new AttemptSpool(spoolDir, attemptId)
    spools.push(spool)
    if (spool.outcome() !== null) continue
    const group = spool.process()
    const ended = group !== null && (await groupBelongsToRun(group.pgid, group.started))
    if (ended) {
      await terminateGroup(group.pgid, graceMs)
      log(`attempt ${attemptId}: ended process group ${group.pgid}, left running by a previous process`)
    }
    spool.setOutcome({
      exit_status: 'lost',
      exit_code: null,
      summary: ended
        ? `the runner host restarted while it ran; it ended the run's processes (group ${group.pgid}) when it came back`
        : 'the runner host restarted while it ran; the run is gone',
      has_changes: false,
    })
  }
  return spools
}
