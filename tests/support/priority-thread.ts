import { getPriority, setPriority } from 'node:os'
import { currentThread, lowerThreadPriority } from '../../src/process/thread-priority'

/**
 * A thread that starts `startStep` below the thread that made it, then lowers itself as the
 * server's threads do, and says where it ended up: its id, what it inherited, and its nice value.
 */
declare const self: Worker

self.onmessage = ({ data: startStep }: MessageEvent<number>) => {
  const thread = currentThread()
  if (thread === null) throw new Error('this thread has no id of its own here')
  const inherited = getPriority(thread)
  setPriority(thread, inherited + startStep)
  const lowered = lowerThreadPriority()
  self.postMessage({ thread, inherited, lowered, nice: getPriority(thread) })
}
