import { readdirSync, readFileSync } from 'node:fs'
import { processLiving } from '../../src/process/process-group'

/** Pids whose command line contains `token` and that have not exited (a zombie's command line is empty). */
export function processesMentioning(token: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(token)) found.push(Number(entry))
    } catch {
      // Ended while we looked.
    }
  }
  return found.filter((pid) => pid !== process.pid && processLiving(pid))
}

export interface ProcessInfo {
  pid: number
  ppid: number
  /** The executable's name: `git` once setpriv has bound it to the server and exec'd it. */
  name: string
  cmd: string
}

/** Every process /proc shows, with its parent, name and command line. */
export function processes(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
        return [{ pid: Number(entry), ppid, name, cmd }]
      } catch {
        return []
      }
    })
}

/**
 * Checks `condition` without pausing between checks: the moments these tests aim at last a few
 * milliseconds, shorter than a timer tick. A file that is not there (git replaces a file by
 * unlinking it first) counts as not yet.
 */
export function spinUntil<T>(what: string, condition: () => T, timeoutMs = 30_000): NonNullable<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const value = condition()
      if (value) return value as NonNullable<T>
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** The git process a server started for `subcommand`, stopped (SIGSTOP) the moment it is seen. */
export function stoppedGitChild(serverPid: number, subcommand: string): ProcessInfo {
  const child = spinUntil(`the server's git ${subcommand}`, () =>
    processes().find((p) => p.ppid === serverPid && p.name === 'git' && p.cmd.includes(` ${subcommand} `)),
  )
  process.kill(child.pid, 'SIGSTOP')
  return child
}

/** Everything a child writes on stdout and stderr, as it arrives (read it with the returned function). */
export function collectOutput(proc: {
  stdout: ReadableStream<Uint8Array>
  stderr: ReadableStream<Uint8Array>
}): () => string {
  let text = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += decoder.decode(chunk.value, { stream: true })
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  return () => text
}
