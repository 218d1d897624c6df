import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { lowerThreadPriority } from '../../src/process/thread-priority'

/**
 * A thread that starts `startStep` below the thread that made it, then lowers itself as the
 * server's threads do, and says where it ended up: its id, what it inherited, and its nice value.
 */
declare const self: Worker

self.onmessage = ({ data: startStep }: MessageEvent<number>) => {
  const thread = Number(readlinkSync('/proc/thread-self').split('/').at(-1))
  const inherited = getPriority(thread)
  setPriority(thread, inherited + startStep)
  const lowered = lowerThreadPriority()
  self.postMessage({ thread, inherited, lowered, nice: getPriority(thread) })
}
