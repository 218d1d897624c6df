import { afterEach, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { composeAdapters } from '../../src/compose'
import { loadConfig } from '../../src/config'
import { startRuntime } from '../../src/runtime'
import { tempDir, waitFor } from '../support/temp'

let dir: ReturnType<typeof tempDir> | null = null
afterEach(() => {
  dir?.cleanup()
  dir = null
})

/** How many of this process's threads are Workers: the event writer's and the checkpointer's are the runtime's only ones. */
function workerThreads(): number {
  let count = 0
  for (const task of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'Worker') count++
    } catch {
      // A thread that ended while the list was read.
    }
  }
  return count
}

test("a startup that fails once the store is open stops the event writer's and the checkpointer's threads; the next start works", async () => {
  dir = tempDir()
  const config = loadConfig(
    { OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3'), OPENRUNTIME_STOP_GRACE_MS: '1000' },
    dir.path,
  )
  expect(workerThreads()).toBe(0)
  // The queue's file cannot be opened: startup fails after the store and the writer's thread started.
  mkdirSync(config.queuePath, { recursive: true })
  await expect(startRuntime(config, composeAdapters(config))).rejects.toThrow(config.queuePath)
  await waitFor("the event writer's and the checkpointer's threads to end", () => workerThreads() === 0)
  rmSync(config.queuePath, { recursive: true })
  const runtime = await startRuntime(config, composeAdapters(config))
  await waitFor("the event writer's and the checkpointer's threads", () => workerThreads() === 2)
  await runtime.close()
  await waitFor('both threads to end at shutdown', () => workerThreads() === 0)
})
