import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { copyInPasses, MAX_PASSES, SHORT_TAIL_FRAMES } from '../../src/storage/checkpoint-passes'
import { openDatabase, passiveCheckpointCopied } from '../../src/storage/database'
import { tempDir } from '../support/temp'

/** `copyInPasses` over copies that report `results` in turn; how many it asked for, and its answer. */
function passes(results: (number | null)[]): { calls: number; copied: boolean } {
  let calls = 0
  const copied = copyInPasses(() => results[calls++] ?? null)
  return { calls, copied }
}

describe('the checkpointer copies in passes', () => {
  test('until a pass found a short tail', () => {
    expect(passes([1000, 1300, 1300 + SHORT_TAIL_FRAMES])).toEqual({ calls: 3, copied: true })
  })

  test('no more than MAX_PASSES under writes that outrun it', () => {
    const growing = Array.from({ length: MAX_PASSES + 2 }, (_, i) => (i + 1) * 1000)
    expect(passes(growing)).toEqual({ calls: MAX_PASSES, copied: true })
  })

  test('counts a log that started over from its beginning, and stops when another checkpoint runs', () => {
    // Fewer frames copied than before: a new log, of 500 frames and then of 10.
    expect(passes([1000, 500, 10, 2000])).toEqual({ calls: 3, copied: true })
    expect(passes([null, 1000])).toEqual({ calls: 1, copied: false })
    expect(passes([1000, null, 2000])).toEqual({ calls: 2, copied: false })
  })
})

let dir: ReturnType<typeof tempDir>
const open: Database[] = []
afterEach(() => {
  for (const db of open.splice(0)) db.close()
  dir?.cleanup()
})

describe("on a real log, written to between the checkpointer's passes", () => {
  test("the passes go on while a pass copies much, and leave the writer's finish a short tail", () => {
    dir = tempDir()
    const path = join(dir.path, 'db.sqlite3')
    const writer = openDatabase(path)
    const checkpointer = openDatabase(path)
    open.push(writer, checkpointer)
    for (const db of open) db.exec('PRAGMA wal_autocheckpoint = 0')
    writer.exec('CREATE TABLE lines (text TEXT)')
    const insert = writer.prepare('INSERT INTO lines (text) VALUES (?)')
    const write = (rows: number) =>
      writer.transaction(() => {
        for (let i = 0; i < rows; i++) insert.run('x'.repeat(1000))
      })()
    write(2000)
    // What the writer's batches add while each pass runs: a lot during the first, little after.
    const during = [400, 2, 2]
    const copies: number[] = []
    const copied = copyInPasses(() => {
      const result = passiveCheckpointCopied(checkpointer, 'the test checkpointer')
      if (result !== null) copies.push(result)
      write(during[copies.length - 1] ?? 0)
      return result
    })
    expect(copied).toBe(true)
    // The first pass copied the 2,000 rows; with nothing left, the next write started the log over,
    // so the second copied the 400 rows' new log, and the third found only a short tail.
    expect(copies).toHaveLength(3)
    expect(copies[1]).toBeGreaterThan(SHORT_TAIL_FRAMES)
    expect(copies[2]).toBeLessThanOrEqual(SHORT_TAIL_FRAMES)
    // The writer's finish: all of the log copied, and the log no longer than that short tail.
    const finish = writer
      .query<{ busy: number; log: number; checkpointed: number }, []>('PRAGMA wal_checkpoint(PASSIVE)')
      .get()
    expect(finish?.busy).toBe(0)
    expect(finish?.checkpointed).toBe(finish?.log as number)
    expect(finish?.log).toBeLessThanOrEqual(SHORT_TAIL_FRAMES)
    expect(writer.query<{ n: number }, []>('SELECT COUNT(*) AS n FROM lines').get()?.n).toBe(2404)
  })
})
