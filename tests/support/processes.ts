import { readdirSync, readFileSync } from 'node:fs'
import { processLiving } from '../../src/workers/process-group'

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
