import { readFileSync } from 'node:fs'

/** Peak resident memory (VmHWM) of a process in MiB, from /proc; null where that is unavailable. */
export function peakMemoryMiB(pid: number): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)
    return match ? Math.round(Number(match[1]) / 1024) : null
  } catch {
    return null
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits
