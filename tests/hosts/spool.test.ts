import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AttemptSpool } from '../../src/runner-host/spool'
import { tempDir } from '../support/temp'

const dir = tempDir()
afterAll(() => dir.cleanup())

const line = (n: number) => ({ kind: 'stdout' as const, message: `line ${n}`, metadata: null })
const fileLines = (attempt: string) =>
  readFileSync(join(dir.path, `${attempt}.events`), 'utf8')
    .split('\n')
    .filter(Boolean)

test('a spool read again (a host restart) gives out only what was not acknowledged, from the next seq on', () => {
  const spool = new AttemptSpool(dir.path, 'restart')
  for (let n = 1; n <= 30; n++) spool.append(line(n))
  const first = spool.unacknowledged(10)
  expect(first?.from).toBe(1)
  expect(first?.events).toEqual(Array.from({ length: 10 }, (_, i) => line(i + 1)))
  spool.acknowledge(12)
  // Acknowledging writes the small state file only: the events file keeps its lines for now.
  expect(fileLines('restart')).toHaveLength(30)
  const again = new AttemptSpool(dir.path, 'restart')
  const batch = again.unacknowledged(100)
  expect(batch?.from).toBe(13)
  expect(batch?.events.map((event) => ('message' in event ? event.message : null))).toEqual(
    Array.from({ length: 18 }, (_, i) => `line ${13 + i}`),
  )
  expect(again.append(line(31))).toBe(31)
  expect(fileLines('restart')).toHaveLength(18)
})

test('an outcome is written only after the events before it; all acknowledged, nothing is given out again', () => {
  const spool = new AttemptSpool(dir.path, 'outcome')
  for (let n = 1; n <= 5; n++) spool.append(line(n))
  spool.setOutcome({ exit_status: 'exit code 0', exit_code: 0, summary: 'done', has_changes: false })
  // The events were not sent yet, but they are on disk before the outcome is.
  expect(fileLines('outcome')).toHaveLength(5)
  const replayed = new AttemptSpool(dir.path, 'outcome')
  expect(replayed.unacknowledged(100)?.events).toHaveLength(5)
  expect(replayed.outcome()?.summary).toBe('done')
  replayed.acknowledge(5)
  expect(replayed.unacknowledged(100)).toBeNull()
  expect(new AttemptSpool(dir.path, 'outcome').unacknowledged(100)).toBeNull()
})

test('a batch stops at its size in bytes of JSON, but always holds at least one event', () => {
  const spool = new AttemptSpool(dir.path, 'sizes')
  spool.append({ kind: 'stdout', message: 'x'.repeat(5000), metadata: null })
  for (let n = 2; n <= 10; n++) spool.append(line(n))
  expect(spool.unacknowledged(100, 1000)?.events).toHaveLength(1)
  spool.acknowledge(1)
  const small = spool.unacknowledged(100, 120)
  expect(small?.from).toBe(2)
  // Each event's JSON is 52 bytes here: two fit in 120, three do not.
  expect(small?.events.map((event) => ('message' in event ? event.message : null))).toEqual([
    'line 2',
    'line 3',
  ])
  expect(spool.unacknowledged(4)?.events).toHaveLength(4)
})

test('the events file is cut down once everything in it is acknowledged, not while lines wait in it', () => {
  const spool = new AttemptSpool(dir.path, 'bulk')
  for (let n = 1; n <= 25_000; n++) spool.append(line(n))
  spool.unacknowledged(1)
  spool.acknowledge(15_000)
  expect(fileLines('bulk')).toHaveLength(25_000)
  expect(new AttemptSpool(dir.path, 'bulk').unacknowledged(1)?.from).toBe(15_001)
  expect(spool.unacknowledged(20_000)?.from).toBe(15_001)
  spool.acknowledge(25_000)
  expect(fileLines('bulk')).toEqual([])
  expect(spool.append(line(25_001))).toBe(25_001)
  expect(spool.unacknowledged(10)?.from).toBe(25_001)
  expect(new AttemptSpool(dir.path, 'bulk').unacknowledged(10)?.from).toBe(25_001)
})
