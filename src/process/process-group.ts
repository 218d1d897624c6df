import { existsSync, readdirSync, readFileSync } from 'node:fs'

/**
 * Process-group helpers. Every runner is spawned as the leader of its own group (setsid), so one
 * signal reaches it and everything it started; the leader's start time guards against signalling
 * an unrelated group that reused the number after a crash.
 */

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or null off Linux. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

/** Whether a process exists and has not already exited (a zombie waiting to be reaped counts as gone). */
export function processLiving(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return processState(pid) !== 'Z'
}

function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return null
  }
}

/** Whether any process of the group is still running (zombies do not count). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (process.platform !== 'linux') return true
  const members = groupMembers(pgid)
  // Without a readable /proc we cannot tell zombies apart; trust the signal check.
  return members.length === 0
    ? !existsSync('/proc/self/stat')
    : members.some((pid) => processState(pid) !== 'Z')
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Members of a process group (Linux), for checks like "is any of them waiting on stdin". */
export function groupMembers(pgid: number): number[] {
  const members: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return members
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid) members.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return members
}

/**
 * Whether a recorded group still belongs to the run that recorded it: the leader is alive with the
 * same start time, or the leader is gone but members remain that started no earlier than it did.
 */
export function groupBelongsToRun(pgid: number, leaderStarted: string | null): boolean {
  if (!groupAlive(pgid)) return false
  if (leaderStarted === null) return true
  const leaderNow = processStartTime(pgid)
  if (leaderNow !== null) return leaderNow === leaderStarted
  return groupMembers(pgid).some((pid) => Number(processStartTime(pid) ?? -1) >= Number(leaderStarted))
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after the grace period. */
export async function terminateGroup(
  pgid: number,
  graceMs: number,
): Promise<'terminated' | 'killed' | 'gone'> {
  if (!groupAlive(pgid)) return 'gone'
  signalGroup(pgid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    await Bun.sleep(25)
    if (!groupAlive(pgid)) return 'terminated'
  }
  signalGroup(pgid, 'SIGKILL')
  // SIGKILL cannot be ignored; wait briefly for the kernel to tear the group down.
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await Bun.sleep(25)
  return 'killed'
}
