import { afterEach, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { join } from 'node:path'
import { BACKGROUND_NICE_STEP } from '../../src/process/thread-priority'
import { type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

interface ThreadInfo {
  id: number
  name: string
  nice: number
}

/** Every thread of `pid` with its name and nice value (/proc/<pid>/task/<tid>/stat, field 19). */
function threadsOf(pid: number): ThreadInfo[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((id) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${id}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
      return [{ id: Number(id), name, nice }]
    } catch {
      // The thread ended between the listing and the read.
      return []
    }
  })
}

const below = (base: number, step: number) => Math.min(19, base + step)

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

test("the server's own threads run below its event loop, which keeps the priority it was started with", async () => {
  const dir = tempDir()
  cleanups.push(dir.cleanup)
  const server: ServerProcess = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'db.sqlite3') })
  cleanups.push(() => server.kill())
  // The server was started by this thread, so it inherited this thread's nice value.
  const base = getPriority(0)
  const pid = server.proc.pid
  // Bun names a Worker's thread "Worker": the event writer's, the checkpointer's and the pages'.
  const workers = await waitFor("the server's three threads, each lowered", () => {
    const found = threadsOf(pid).filter((thread) => thread.name === 'Worker')
    return found.length === 3 && found.every((thread) => thread.nice === below(base, BACKGROUND_NICE_STEP))
      ? found
      : null
  })
  expect(workers).toHaveLength(3)
  const loop = threadsOf(pid).find((thread) => thread.id === pid)
  expect(loop?.nice).toBe(base)
  // Answering requests does not lower the loop either.
  expect((await fetch(`${server.url}/health`)).status).toBe(200)
  expect(threadsOf(pid).find((thread) => thread.id === pid)?.nice).toBe(base)
})

test('a thread is lowered from what it inherited, not to a fixed value, and the thread that made it is not', async () => {
  const worker = new Worker(new URL('../support/priority-thread.ts', import.meta.url).href)
  cleanups.push(() => worker.terminate())
  const base = getPriority(0)
  const reported = new Promise<{ thread: number; inherited: number; lowered: boolean; nice: number }>(
    (resolve) => {
      worker.onmessage = ({ data }) => resolve(data)
    },
  )
  worker.postMessage(3)
  const { thread, inherited, lowered, nice } = await reported
  expect(thread).not.toBe(process.pid)
  expect(inherited).toBe(base)
  expect(lowered).toBe(true)
  expect(nice).toBe(below(base, 3 + BACKGROUND_NICE_STEP))
  expect(getPriority(0)).toBe(base)
  expect(getPriority(thread)).toBe(nice)
})
