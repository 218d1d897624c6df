import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving, processStartTime } from '../process/process-group'

/** Another runner host process uses the directory. */
export class RunnerDirInUse extends Error {}

interface Holder {
  pid: number
  started: string | null
}

const holderText = (holder: Holder) => `${holder.pid} ${holder.started ?? '-'}\n`

function readHolder(path: string): Holder | null {
  try {
    const [pid, started] = readFileSync(path, 'utf8').trim().split(' ')
    return Number.isSafeInteger(Number(pid)) && Number(pid) > 0
      ? { pid: Number(pid), started: started && started !== '-' ? started : null }
      : null
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** The holder runs still: its pid is alive and (where /proc tells) started when the lock was taken. */
const alive = (holder: Holder) =>
  processLiving(holder.pid) && (holder.started === null || processStartTime(holder.pid) === holder.started)

/** Creates `path` with `text` unless it exists; false when it does. */
function createExclusive(path: string, text: string): boolean {
  let fd: number
  try {
    fd = openSync(path, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * One runner host process per OPENRUNTIME_RUNNER_DIR: two would take each other's spool (sending
 * one attempt's events twice, ending each other's runs as leftovers). The lock is a file holding the
 * owner's pid and start time, made with O_EXCL. A lock whose process is gone (killed, crashed) is
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
    for (let round = 0; round < 100; round++) {
      if (createExclusive(path, self)) return new RunnerDirLock(path)
      const holder = readHolder(path)
      if (holder !== null && alive(holder))
        throw new RunnerDirInUse(
          `another runner host (pid ${holder.pid}) is using ${dir}; stop it first, or give this one its own OPENRUNTIME_RUNNER_DIR`,
        )
      if (createExclusive(takeover, self)) {
        try {
          // Still the stale lock that was read (no other process took it over meanwhile)?
          const now = readHolder(path)
          if (now === null || (now.pid === holder?.pid && now.started === holder.started))
            rmSync(path, { force: true })
        } finally {
          rmSync(takeover, { force: true })
        }
      } else {
        const other = readHolder(takeover)
        // A takeover its process never finished (it died in between) is stale too.
        if (other !== null && !alive(other)) rmSync(takeover, { force: true })
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
