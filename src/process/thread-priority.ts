import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/**
 * How far below the event loop the server's own threads run (the event writer, the checkpointer,
 * the pages' thread). On a machine whose cores are all busy, the loop (which answers every request
 * and takes the runs' output in) is then the one the scheduler picks first, and a thread's work
 * waits a moment instead: under B3, `/health`'s p99 went from 11.9–14.2 ms to 7.6–8.7 ms. A
 * thread that falls behind still has its backpressure (the event log's high-water marks).
 */
export const BACKGROUND_NICE_STEP = 10

/** The highest nice value Linux knows. */
const LOWEST_PRIORITY = 19

/**
 * Lowers the calling thread's CPU priority by BACKGROUND_NICE_STEP, relative to what it inherited
 * (a server started under `nice` keeps its threads below its loop all the same). On Linux a
 * thread's nice value is its own, and `/proc/thread-self` names the thread. Elsewhere, or where the
 * kernel refuses, it changes nothing and says so: the thread then only runs at the loop's priority.
 */
export function lowerThreadPriority(): boolean {
  const thread = currentThread()
  if (thread === null) return false
  try {
    setPriority(thread, Math.min(LOWEST_PRIORITY, getPriority(thread) + BACKGROUND_NICE_STEP))
    return true
  } catch {
    return false
  }
}

/** The calling thread's id (`/proc/thread-self` is `<pid>/task/<tid>`), or null off Linux. */
export function currentThread(): number | null {
  try {
    const thread = Number(readlinkSync('/proc/thread-self').split('/').at(-1))
    return Number.isInteger(thread) && thread > 0 ? thread : null
  } catch {
    return null
  }
}
