import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving, processStartTime } from '../process/process-group'

/** Another runner host process uses the directory. */
export class RunnerDirInUse extends Error {}

interface Holder {
  pid: number
  started: string | null
}

const holderText = (holder: Holder) => `${holder.pid} ${holder.started ?? '-'}\n`

/** The lock's holder; null when there is no lock file; pid 0 when it holds anything else (stale). */
function readHolder(path: string): Holder | null {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const [pid, started] = text.trim().split(' ')
  return Number.isSafeInteger(Number(pid)) && Number(pid) > 0
    ? { pid: Number(pid), started: started && started !== '-' ? started : null }
    : { pid: 0, started: null }
}

/** The holder runs still: its pid is alive and (where /proc tells) started when the lock was taken. */
const alive = (holder: Holder) =>
  holder.pid > 0 &&
  processLiving(holder.pid) &&
  (holder.started === null || processStartTime(holder.pid) === holder.started)

/**
 * Creates `path` holding `text` unless it exists (false then). The text is written to a file of
 * this process's own first and linked into place, so nobody ever reads the lock half written.
 */
function createExclusive(path: string, text: string): boolean {
  const own = `${path}.${process.pid}`
  writeFileSync(own, text)
  try {
    linkSync(own, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    rmSync(own, { force: true })
  }
}

/** A few milliseconds, for another process to finish what it is doing with the lock. */
const pause = () => Bun.sleepSync(5)

/**
 * One runner host process per OPENRUNTIME_RUNNER_DIR: two would take each other's spool (sending
 * one attempt's events twice, ending each other's runs as leftovers). The lock is a file holding the
 * owner's pid and start time, made only where none exists. A lock whose process is gone (killed, crashed) is
 * stale and taken over; taking over goes through a second exclusive file, so two processes that find
 * the same stale lock cannot both win.
 */
export class RunnerDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dir: string): RunnerDirLock {
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'runner.lock')
    const takeover = `${path}.takeover`
    const self = holderText({ pid: process.pid, started: processStartTime(process.pid) })
    for (let round = 0; round < 200; round++) {
      if (createExclusive(path, self)) return new RunnerDirLock(path)
      const holder = readHolder(path)
      // Removed since (taken over): try again.
      if (holder === null) continue
      if (alive(holder))
        throw new RunnerDirInUse(
          `another runner host (pid ${holder.pid}) is using ${dir}; stop it first, or give this one its own OPENRUNTIME_RUNNER_DIR`,
        )
      if (createExclusive(takeover, self)) {
        try {
          // Still the stale lock that was read? Only the holder of the takeover file removes one,
          // and nobody can make a new lock while it is there.
          const now = readHolder(path)
          if (now !== null && now.pid === holder.pid && now.started === holder.started)
            rmSync(path, { force: true })
        } finally {
          rmSync(takeover, { force: true })
        }
      } else {
        const other = readHolder(takeover)
        // A takeover its process never finished (it died in between) is stale too.
        if (other !== null && !alive(other)) rmSync(takeover, { force: true })
        else pause()
      }
    }
    throw new RunnerDirInUse(`could not lock ${dir}: its lock file ${path} keeps changing`)
  }

  /** Gives the directory up (at shutdown); a lock another process took over is left alone. */
  release(): void {
    const holder = readHolder(this.path)
    if (holder?.pid === process.pid) rmSync(this.path, { force: true })
  }
}
