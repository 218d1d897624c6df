import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

/**
 * Process-group helpers. Every runner is spawned as the leader of its own group (setsid), so one
 * signal reaches it and everything it started; the leader's start time guards against signalling
 * an unrelated group that reused the number after a crash.
 */

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or null off Linux. */
export function processStartTime(pid: number): string | null {
  try {
    return fieldsAfterName(readFileSync(`/proc/${pid}/stat`, 'utf8')).split(' ')[19] ?? null
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
    return stateIn(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return null
  }
}

// A stat line's command name (field 2) may contain spaces and parentheses: fields are read after the last ')'.
const fieldsAfterName = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2)
const stateIn = (stat: string) => fieldsAfterName(stat).slice(0, 1)
const groupIn = (stat: string) => Number(fieldsAfterName(stat).split(' ', 3)[2])

/**
 * Whether any process of the group is still running (zombies do not count). The processes are
 * looked up without blocking the event loop: a run's end asks this, and reading every process's
 * stat file in one go held requests up for milliseconds with a few hundred processes.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (process.platform !== 'linux') return true
  const stats = await Promise.all(
    processIds().map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)),
  )
  const members = stats.filter((stat): stat is string => stat !== null && groupIn(stat) === pgid)
  // Without a readable /proc we cannot tell zombies apart; trust the signal check.
  return members.length === 0 ? !existsSync('/proc/self/stat') : members.some((stat) => stateIn(stat) !== 'Z')
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** The processes /proc lists (none where it cannot be read). */
function processIds(): string[] {
  try {
    return readdirSync('/proc').filter((entry) => entry.charCodeAt(0) >= 48 && entry.charCodeAt(0) <= 57)
  } catch {
    return []
  }
}

/** Members of a process group (Linux), for checks like "is any of them waiting on stdin". */
export function groupMembers(pgid: number): number[] {
  const members: number[] = []
  for (const entry of processIds()) {
    try {
      if (groupIn(readFileSync(`/proc/${entry}/stat`, 'utf8')) === pgid) members.push(Number(entry))
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
export async function groupBelongsToRun(pgid: number, leaderStarted: string | null): Promise<boolean> {
  if (!(await groupAlive(pgid))) return false
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
  if (!(await groupAlive(pgid))) return 'gone'
  signalGroup(pgid, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline) {
    await Bun.sleep(25)
    if (!(await groupAlive(pgid))) return 'terminated'
  }
  signalGroup(pgid, 'SIGKILL')
  // SIGKILL cannot be ignored; wait briefly for the kernel to tear the group down.
  for (let i = 0; i < 40 && (await groupAlive(pgid)); i++) await Bun.sleep(25)
  return 'killed'
}
