import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { openDatabase } from '../../src/storage/database'
import { migrate } from '../../src/storage/migrate'
import { cpuSeconds } from './measure'
import type { PageReaderOrder } from './raw-page-reader'
import { insertRawTask, rawEventInsert } from './raw-rows'
import { sandboxedCommand } from './sandboxed-command'

/** What `bun bench/lib/raw-streams.ts '<json>'` is asked to do: B3's work, with no server around it. */
export interface RawStreamsOrder {
  dbPath: string
  workspace: string
  dataDir: string
  tasks: number
  command: string
  parallel: number
  /** One page read each this many milliseconds (what openRuntime was asked for in the same run). */
  pageEveryMs: number
}

export interface RawStreamsResult {
  seconds: number
  /** CPU seconds the process used (all its threads), from the start of the runs to their end. */
  cpuSeconds: number
  rows: number
  pageReads: number
}

/**
 * The work B3 asks of openRuntime, done straight: `tasks` runs of `command`, `parallel` at a time,
 * each under the run's sandbox; their output read, split into lines and inserted into openRuntime's
 * schema one transaction per chunk, while a thread reads pages as often as openRuntime was asked to.
 */
async function rawStreams(order: RawStreamsOrder): Promise<RawStreamsResult> {
  const db = openDatabase(order.dbPath)
  migrate(db)
  const ids = Array.from({ length: order.tasks }, () => randomUUID())
  for (const id of ids) insertRawTask(db, id, order.command, order.workspace)
  const insert = rawEventInsert(db)
  const insertLines = db.transaction((id: string, firstSeq: number, lines: string[], at: string) => {
    for (const [i, line] of lines.entries()) insert.run(id, firstSeq + i, 'a', 'stdout', line, null, at)
  })
  const argv = sandboxedCommand(['/bin/sh', '-lc', order.command], order.workspace, order.dataDir)
  const stream = async (id: string) => {
    const child = Bun.spawn(argv, { cwd: order.workspace, stdout: 'pipe', stderr: 'ignore' })
    const decoder = new TextDecoder()
    let partial = ''
    let seq = 1
    const output = child.stdout.getReader()
    while (true) {
      const { value: chunk, done } = await output.read()
      if (done) break
      const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n')
      partial = lines.pop() ?? ''
      insertLines(id, seq, lines, new Date().toISOString())
      seq += lines.length
    }
    if (partial !== '') insertLines(id, seq, [partial], new Date().toISOString())
    await child.exited
  }

  const reader = new Worker(new URL('./raw-page-reader.ts', import.meta.url).href)
  const stopFlag = new Int32Array(new SharedArrayBuffer(4))
  const pageReads = new Promise<number>((resolve, reject) => {
    reader.onmessage = ({ data }: MessageEvent<number>) => resolve(data)
    reader.onerror = reject
  })
  reader.postMessage({
    dbPath: order.dbPath,
    taskIds: ids,
    everyMs: order.pageEveryMs,
    stopFlag,
  } satisfies PageReaderOrder)

  const started = performance.now()
  const cpuAtStart = cpuSeconds(process.pid) ?? Number.NaN
  let next = 0
  await Promise.all(
    Array.from({ length: order.parallel }, async () => {
      while (next < ids.length) await stream(ids[next++] as string)
    }),
  )
  const seconds = (performance.now() - started) / 1000
  Atomics.store(stopFlag, 0, 1)
  const reads = await pageReads
  const cpu = (cpuSeconds(process.pid) ?? Number.NaN) - cpuAtStart
  reader.terminate()
  const rows = db.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM events').get()?.n ?? 0
  db.close()
  return { seconds, cpuSeconds: cpu, rows, pageReads: reads }
}

if (import.meta.main) {
  const order = JSON.parse(process.argv[2] ?? '{}') as RawStreamsOrder
  console.log(JSON.stringify(await rawStreams(order)))
  process.exit(0)
}

/** Runs the raw streams in a process of their own (as openRuntime's server is) and resolves with what they did. */
export async function runRawStreams(order: RawStreamsOrder): Promise<RawStreamsResult> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, 'raw-streams.ts'), JSON.stringify(order)],
    {
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  const printed = await new Response(child.stdout).text()
  if ((await child.exited) !== 0) throw new Error('the raw streams failed')
  return JSON.parse(printed) as RawStreamsResult
}
