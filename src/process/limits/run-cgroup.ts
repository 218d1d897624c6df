import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CgroupHost, CgroupParent } from './cgroup-host'

export interface CgroupLimits {
  /** pids.max, when the processes limit is the cgroup's. */
  processes: number | null
  /** memory.max / memory.limit_in_bytes, when the memory limit is the cgroup's. */
  memoryBytes: number | null
}

export interface CgroupUsage {
  peak: number | null
  refused: number | null
  peakBytes: number | null
  oomKills: number | null
}

const KILL_ROUNDS = 200
const MiB = 1024 * 1024

/**
 * One run's cgroup: a directory per hierarchy it uses (one for v2), its limits written before any
 * process joins. The run's first process joins it itself before it execs anything (see
 * `joinCommand`), so everything the run ever starts is inside from the beginning.
 */
export class RunCgroup {
  private constructor(
    private readonly pids: { parent: CgroupParent; dir: string } | null,
    private readonly memory: { parent: CgroupParent; dir: string } | null,
  ) {}

  static create(host: CgroupHost, name: string, limits: CgroupLimits): RunCgroup {
    const make = (parent: CgroupParent) => {
      const dir = join(parent.dir, `run-${name}`)
      mkdirSync(dir, { recursive: true })
      return { parent, dir }
    }
    const pids = limits.processes !== null && host.pids ? make(host.pids) : null
    const memory =
      limits.memoryBytes !== null && host.memory
        ? pids && host.memory.dir === host.pids?.dir
          ? pids
          : make(host.memory)
        : null
    const group = new RunCgroup(pids, memory)
    try {
      if (pids && limits.processes !== null)
        writeFileSync(join(pids.dir, 'pids.max'), String(limits.processes))
      if (memory && limits.memoryBytes !== null) group.limitMemory(memory, limits.memoryBytes)
    } catch (error) {
      group.removeDirs()
      throw error
    }
    return group
  }

  /** The group's directories, one per hierarchy (pids and memory share one in v2), with its version. */
  private get hierarchies(): Map<string, CgroupParent['version']> {
    const parts = [this.pids, this.memory].filter((part) => part !== null)
    return new Map(parts.map((part) => [part.dir, part.parent.version]))
  }

  /** The group's directories, one per hierarchy. */
  get dirs(): string[] {
    return [...this.hierarchies.keys()]
  }

  /**
   * The files the run's first process joins through, writing "0" (itself) into each. In v1 that is
   * `tasks`: a thread moving itself there skips the kernel's global threadgroup lock, whose write
   * side waits for an RCU grace period (10 ms and more on a busy machine) when `cgroup.procs` is
   * used. The process is a single-threaded shell, so the thread is the whole process; v2 has
   * `cgroup.procs` only.
   */
  get joinFiles(): string[] {
    return [...this.hierarchies].map(([dir, version]) =>
      join(dir, version === 'v1' ? 'tasks' : 'cgroup.procs'),
    )
  }

  /** Kills whatever is still in the group. */
  kill(): Promise<void> {
    return killMembers(this.dirs)
  }

  /** What the run used and what the limits refused, read before the group is removed. */
  usage(): CgroupUsage {
    const usage: CgroupUsage = { peak: null, refused: null, peakBytes: null, oomKills: null }
    if (this.pids) {
      usage.peak = numberIn(join(this.pids.dir, 'pids.peak'))
      usage.refused = counter(join(this.pids.dir, 'pids.events'), 'max')
    }
    if (this.memory) {
      const v2 = this.memory.parent.version === 'v2'
      usage.peakBytes = numberIn(join(this.memory.dir, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes'))
      usage.oomKills = counter(join(this.memory.dir, v2 ? 'memory.events' : 'memory.oom_control'), 'oom_kill')
    }
    return usage
  }

  /** Kills what is left and removes the directories. */
  async remove(): Promise<void> {
    await this.kill()
    this.removeDirs()
  }

  private limitMemory(memory: { parent: CgroupParent; dir: string }, bytes: number): void {
    const v2 = memory.parent.version === 'v2'
    writeFileSync(join(memory.dir, v2 ? 'memory.max' : 'memory.limit_in_bytes'), String(bytes))
    // Where swap is accounted, it must not become a way around the limit.
    const swap = join(memory.dir, v2 ? 'memory.swap.max' : 'memory.memsw.limit_in_bytes')
    if (existsSync(swap)) {
      try {
        writeFileSync(swap, v2 ? '0' : String(bytes))
      } catch {
        // The host does not let this group's swap be set; memory itself is still limited.
      }
    }
  }

  private removeDirs(): void {
    for (const dir of this.dirs) removeGroupDir(dir)
  }
}

function removeGroupDir(dir: string): void {
  try {
    rmdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/**
 * A crashed server's run groups (its processes died with it or were killed by recovery; anything
 * that survived in them is killed now), removed at start-up before any run starts.
 */
export async function removeStaleGroups(host: CgroupHost): Promise<number> {
  const runs = new Set<string>()
  for (const parent of new Set([host.pids, host.memory])) {
    if (!parent) continue
    for (const entry of readdirSync(parent.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !entry.name.startsWith('run-')) continue
      const dir = join(parent.dir, entry.name)
      await killMembers([dir])
      removeGroupDir(dir)
      runs.add(entry.name)
    }
  }
  return runs.size
}

/** Kills every process in the groups; they may fork while we kill, so until they are empty. */
async function killMembers(dirs: string[]): Promise<void> {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const members = new Set(dirs.flatMap(groupMembers))
    if (members.size === 0) return
    for (const pid of members) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    await Bun.sleep(5)
  }
}

/** The pids in a group; none once it is removed (a stop racing the run's own end). */
function groupMembers(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
}

function numberIn(path: string): number | null {
  try {
    const value = Number(readFileSync(path, 'utf8').trim())
    return Number.isFinite(value) ? value : null
  } catch {
    return null
  }
}

/** A `name value` line of a flat-keyed cgroup file (pids.events, memory.events, memory.oom_control). */
function counter(path: string, name: string): number | null {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name} `))
    return line === undefined ? null : Number(line.slice(name.length + 1))
  } catch {
    return null
  }
}

export const bytesToMiB = (bytes: number | null): number | null =>
  bytes === null ? null : Math.ceil(bytes / MiB)
