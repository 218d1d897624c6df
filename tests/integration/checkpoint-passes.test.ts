import type { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { copyInPasses, MAX_PASSES, SHORT_TAIL_FRAMES } from '../../src/storage/checkpoint-passes'
import { type CheckpointProgress, openDatabase, passiveCheckpointProgress } from '../../src/storage/database'
import { tempDir } from '../support/temp'

type Progress = CheckpointProgress | null

/** `copyInPasses` over copies that report `results` in turn; how many it asked for, and its answer. */
function passes(results: Progress[]): { calls: number; copied: boolean } {
  let calls = 0
  const copied = copyInPasses(() => results[calls++] ?? null)
  return { calls, copied }
}

/** A pass that left `left` of the log's `frames` behind. */
const at = (frames: number, left = 0): Progress => ({ frames, copied: frames - left })

describe('the checkpointer copies in passes', () => {
  test('until a pass found a short tail', () => {
    // The writer keeps appending: 350 frames copied by the second pass, 40 by the third.
    expect(passes([at(1000, 100), at(1300, 50), at(1340, 50)])).toEqual({ calls: 3, copied: true })
  })

  test('no more than MAX_PASSES under writes that outrun it', () => {
    const growing = Array.from({ length: MAX_PASSES + 2 }, (_, i) => at((i + 1) * 1000, 500))
    expect(passes(growing)).toEqual({ calls: MAX_PASSES, copied: true })
  })

  test('a log that started over counts whole, smaller or larger than the one before', () => {
    // The first pass left nothing; a new log of 500 frames, then of 10.
    expect(passes([at(1000), at(500), at(10), at(2000)])).toEqual({ calls: 3, copied: true })
    // A new log of 127 frames after one of 104: more than a short tail, though only 23 more; then
    // 40 frames copied of a log not left empty.
    expect(passes([at(104), at(127), at(140, 100), at(2000)])).toEqual({ calls: 3, copied: true })
    // Nothing written since a pass that left nothing: done.
    expect(passes([at(1000), at(1000), at(2000)])).toEqual({ calls: 2, copied: true })
  })

  test('stops when another checkpoint runs', () => {
    expect(passes([null, at(1000)])).toEqual({ calls: 1, copied: false })
    expect(passes([at(1000, 500), null, at(2000)])).toEqual({ calls: 2, copied: false })
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
      const result = passiveCheckpointProgress(checkpointer, 'the test checkpointer')
      if (result !== null) copies.push(result.copied)
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
