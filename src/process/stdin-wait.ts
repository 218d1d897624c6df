import { readFileSync, readlinkSync } from 'node:fs'
import { groupMembers } from './process-group'

// read(2), pread64(2), readv(2) syscall numbers per architecture (/proc/<pid>/syscall shows the number).
const READ_SYSCALLS: Record<string, number[]> = { x64: [0, 17, 19], arm64: [63, 67, 65] }

/** The identity of a process's stdin (e.g. "pipe:[7823]"), used to recognise our pipe in its group. */
export function stdinIdentity(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/fd/0`)
  } catch {
    return null
  }
}

/**
 * Whether any process of the group is blocked reading the stdin pipe we hold: the precise signal
 * that a run waits for an answer. Returns null where /proc cannot tell (not Linux), so the caller
 * falls back to looking at the output.
 */
export function waitingOnStdin(pgid: number, stdin: string | null): boolean | null {
  const reads = READ_SYSCALLS[process.arch]
  if (stdin === null || !reads) return null
  for (const pid of groupMembers(pgid)) {
    try {
      const [nr, fdHex] = readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')
      if (!reads.includes(Number(nr)) || fdHex === undefined) continue
      if (readlinkSync(`/proc/${pid}/fd/${Number.parseInt(fdHex, 16)}`) === stdin) return true
    } catch {
      // Gone, or not ours to inspect.
    }
  }
  return false
}
