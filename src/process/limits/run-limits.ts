import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import type { Config } from '../../config'
import type { LimitMechanism, RunLimitsPolicy, RunLimitsRecord } from '../../domain'
import { type CgroupHost, type Controller, discoverCgroups, removeParents } from './cgroup-host'
import { bytesToMiB, RunCgroup, removeStaleGroups } from './run-cgroup'

const MiB = 1024 * 1024

/**
 * The run's first process (the leader Bun spawns) moves itself into each of the run's groups and
 * only then execs the sandbox or the command: nothing can fork before it is inside. Arguments: the
 * number of join files (RunCgroup.joinFiles), the files, then the command.
 */
const JOIN_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do ' +
  'echo 0 > "$1" || { echo "openRuntime: could not join the cgroup through $1" >&2; exit 125; }; ' +
  'shift; n=$((n - 1)); done; exec "$@"'

interface Enforcement {
  enforced_by: LimitMechanism
  note: string | null
}

/** How one run is limited: the commands around its own, and its cgroup while it lives. */
export interface RunLimitsPlan {
  readonly record: RunLimitsRecord
  /** Put before the runner's argv inside the sandbox (prlimit for the rlimits); empty when none. */
  readonly innerPrefix: string[]
  /** The final argv (the sandbox included), made to join the run's cgroup first. */
  outer(argv: string[]): string[]
  /** Kills what is left in the run's cgroup (members that left its process group). */
  reap(): Promise<void>
  /**
   * Ends the plan (idempotent): leftovers killed, what the cgroup counted read into the record,
   * the cgroup removed. `output` is what the run stored and dropped.
   */
  finish(output: { stored: number; dropped: number }): Promise<RunLimitsRecord>
}

export interface RunSandboxFacts {
  /** Whether the run's process runs under bubblewrap. */
  active: boolean
  bwrapPath?: string
}

/**
 * Per-run limits on processes and memory: cgroups where the server can make its own (see
 * cgroup-host), rlimits otherwise (prlimit around the runner's command). RLIMIT_NPROC counts a
 * user's processes, and not at all those of root: it is used only inside the sandbox's own user
 * namespace, where it counts the run's alone, and never for root, which the kernel exempts
 * whatever namespace it is in. RLIMIT_DATA holds per process. The attempt records what held.
 */
export class RunLimits {
  private constructor(
    private readonly host: CgroupHost | null,
    private readonly forced: string | null,
    private readonly prlimit: string | null,
  ) {}

  /** Finds what the host offers and removes the run groups a crashed predecessor left behind. */
  static async start(config: Pick<Config, 'limitsMode' | 'dataDir'>): Promise<RunLimits> {
    const prlimit = Bun.which('prlimit')
    if (config.limitsMode === 'rlimit') return new RunLimits(null, 'OPENRUNTIME_LIMITS=rlimit', prlimit)
    const host = discoverCgroups(cgroupTag(config.dataDir))
    const stale = await removeStaleGroups(host)
    if (stale > 0) console.log(`removed ${stale} run cgroup(s) a previous server left behind`)
    return new RunLimits(host, null, prlimit)
  }

  plan(name: string, policy: RunLimitsPolicy, sandbox: RunSandboxFacts): RunLimitsPlan {
    let host = this.host
    let cgroupFailure: string | null = null
    let group: RunCgroup | null = null
    if (host && (host.pids || host.memory)) {
      try {
        group = RunCgroup.create(host, name, {
          processes: host.pids ? policy.max_processes : null,
          memoryBytes: host.memory ? policy.max_memory_mb * MiB : null,
        })
      } catch (error) {
        cgroupFailure = `could not make the run's cgroup (${(error as NodeJS.ErrnoException).code ?? error})`
        host = null
      }
    }
    const whyNoCgroup = (controller: Controller) =>
      `no cgroup (${this.forced ?? cgroupFailure ?? host?.reasons[controller] ?? 'none usable'})`

    const processes = this.enforce(host, 'pids', whyNoCgroup('pids'), {
      note: "RLIMIT_NPROC, counted in the sandbox's own user namespace",
      gap:
        process.getuid?.() === 0
          ? 'RLIMIT_NPROC does not apply to root (uid 0), in any user namespace'
          : !ownUserNamespace(sandbox)
            ? "outside the sandbox's own user namespace RLIMIT_NPROC would count every process of the user"
            : null,
    })
    const memory = this.enforce(host, 'memory', whyNoCgroup('memory'), {
      note: 'RLIMIT_DATA, per process: the run as a whole may use more',
      gap: null,
    })
    const rlimits: string[] = []
    if (processes.enforced_by === 'rlimit') rlimits.push(`--nproc=${policy.max_processes}`)
    if (memory.enforced_by === 'rlimit') rlimits.push(`--data=${policy.max_memory_mb * MiB}`)

    const record: RunLimitsRecord = {
      processes: { max: policy.max_processes, ...processes, peak: null, refused: null },
      memory: { max_mb: policy.max_memory_mb, ...memory, peak_mb: null, oom_kills: null },
      output: {
        max_mb: policy.max_output_mb,
        enforced_by: 'openruntime',
        stored_bytes: null,
        dropped_bytes: null,
      },
    }
    let finished: Promise<RunLimitsRecord> | null = null
    return {
      record,
      innerPrefix: rlimits.length > 0 && this.prlimit ? [this.prlimit, ...rlimits, '--'] : [],
      outer: (argv) =>
        group
          ? [
              '/bin/sh',
              '-c',
              JOIN_SCRIPT,
              'openruntime-join',
              String(group.joinFiles.length),
              ...group.joinFiles,
              ...argv,
            ]
          : argv,
      reap: async () => {
        await group?.kill()
      },
      finish: (output) => {
        finished ??= (async () => {
          const final: RunLimitsRecord = {
            ...record,
            output: { ...record.output, stored_bytes: output.stored, dropped_bytes: output.dropped },
          }
          if (!group) return final
          await group.kill()
          const usage = group.usage()
          await group.remove()
          return {
            ...final,
            processes: { ...final.processes, peak: usage.peak, refused: usage.refused },
            memory: { ...final.memory, peak_mb: bytesToMiB(usage.peakBytes), oom_kills: usage.oomKills },
          }
        })()
        return finished
      },
    }
  }

  /** Removes the server's own cgroup directories (shutdown, after every run ended). */
  close(): void {
    if (this.host) removeParents(this.host)
  }

  /**
   * The cgroup's, where there is one; else the rlimit's, unless prlimit is missing or the rlimit
   * would not hold here (`gap` says why); else none, saying why.
   */
  private enforce(
    host: CgroupHost | null,
    controller: Controller,
    whyNoCgroup: string,
    rlimit: { note: string; gap: string | null },
  ): Enforcement {
    const parent = host?.[controller]
    if (parent) return { enforced_by: `cgroup-${parent.version}`, note: null }
    if (!this.prlimit)
      return { enforced_by: 'none', note: `${whyNoCgroup}; prlimit (util-linux) is not installed` }
    if (rlimit.gap) return { enforced_by: 'none', note: `${whyNoCgroup}; ${rlimit.gap}` }
    return { enforced_by: 'rlimit', note: `${whyNoCgroup}; ${rlimit.note}` }
  }
}

/** Names the server's cgroup directories after its data directory (`openruntime-<tag>`). */
export function cgroupTag(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 12)
}

/** Unprivileged bubblewrap always runs the sandbox in a user namespace of its own; a setuid one need not. */
function ownUserNamespace(sandbox: RunSandboxFacts): boolean {
  if (!sandbox.active || !sandbox.bwrapPath) return false
  try {
    return (statSync(sandbox.bwrapPath).mode & 0o4000) === 0
  } catch {
    return false
  }
}

/** The limits as the timeline says them: one line, then what each mechanism does not cover. */
export function describeLimits(record: RunLimitsRecord): string {
  const how = (mechanism: LimitMechanism) =>
    mechanism === 'none' ? 'not enforced' : mechanism === 'rlimit' ? 'rlimit' : mechanism.replace('-', ' ')
  const { processes, memory, output } = record
  const notes = [processes.note, memory.note].filter((note): note is string => note !== null)
  return (
    `Limits: ${processes.max} processes (${how(processes.enforced_by)}), ` +
    `${memory.max_mb} MB memory (${how(memory.enforced_by)}), ${output.max_mb} MB of stored output` +
    (notes.length > 0 ? `. ${notes.join('. ')}` : '')
  )
}

/** What the run ran into, one sentence each (nothing when it stayed within its limits). */
export function limitsReached(record: RunLimitsRecord): string[] {
  const reached: string[] = []
  const { processes, memory } = record
  if (processes.refused)
    reached.push(
      `Process limit reached: ${processes.refused} process or thread creation(s) refused at ${processes.max}`,
    )
  if (memory.oom_kills)
    reached.push(
      `Memory limit reached: ${memory.oom_kills} process(es) killed for using more than ${memory.max_mb} MB`,
    )
  return reached
}
