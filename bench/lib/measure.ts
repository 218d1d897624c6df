import { readFileSync } from 'node:fs'

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))
    return match ? Math.round(Number(match[1]) / 1024) : null
  } catch {
    return null
  }
}

/** Peak resident memory (VmHWM) of a process in MiB, from /proc; null where that is unavailable. */
export const peakMemoryMiB = (pid: number): number | null => statusMiB(pid, 'VmHWM')

/** Resident memory now (VmRSS) of a process in MiB, from /proc; null where that is unavailable. */
export const residentMiB = (pid: number): number | null => statusMiB(pid, 'VmRSS')

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits

/** CPU seconds (user + system) a process has used so far, from /proc; null where that is unavailable. */
export function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the command name (which may hold spaces), from the closing parenthesis on.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? ticks / 100 : null
  } catch {
    return null
  }
}
