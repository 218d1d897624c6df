import { afterEach, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { defaultPolicy, emptyLedger, type TaskEvent } from '../../src/domain'
import { EventBus } from '../../src/events/event-bus'
import { EventLog, type EventLogOptions } from '../../src/events/event-log'
import { BatchRecalled, BatchSkipped } from '../../src/storage/batch-outcome'
import { type BatchResult, type EventWriter, insertEventBatch } from '../../src/storage/event-batches'
import type { EventInsert } from '../../src/storage/events'
import { Store } from '../../src/storage/store'
import { ThreadedEventWriter, WriterThreadEnded } from '../../src/storage/threaded-event-writer'
import { ENDS_BEFORE_COMMIT, EXITS_AFTER_COMMIT } from '../support/ending-event-writer-thread'
import { tempDir, waitFor } from '../support/temp'

let dir: ReturnType<typeof tempDir>
let store: Store
let threaded: ThreadedEventWriter | null = null
afterEach(() => {
  threaded?.close()
  threaded = null
  store?.close()
  dir?.cleanup()
})

/**
 * `onThread`: batches are written by the writer thread, on a connection of its own (the thread
 * script given, else the real one).
 */
/** The task's stored events are seqs 1…count, and were inserted in that order (ids rise with seq). */
function expectStoredInOrder(taskId: string, count: number): void {
  const stored = store.events.after(taskId, 0, count + 1)
  expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1))
  const ids = stored.map((event) => Number(event.id))
  expect(ids).toEqual([...ids].sort((a, b) => a - b))
}

/**
 * Has storage refuse events (`when`, a condition on NEW) until `allow()`: a trigger in the shared
 * schema, so the thread's own connection meets it too (a pragma would not be shared).
 */
function refuseEvents(when: string, message: string): { allow: () => void } {
  store.db.exec('CREATE TABLE refuse (x INTEGER)')
  store.db.exec('INSERT INTO refuse VALUES (1)')
  store.db.exec(
    `CREATE TRIGGER refuse_events BEFORE INSERT ON events WHEN (${when}) AND EXISTS (SELECT 1 FROM refuse) BEGIN SELECT RAISE(ABORT, '${message}'); END`,
  )
  return { allow: () => store.db.exec('DELETE FROM refuse') }
}

/**
 * A writer as the thread behaves (two batches out, written in order, those after a refusal
 * skipped until it was taken) whose batches settle only when the test says: the gaps between the
 * thread's messages, which the real one leaves to chance, are the test's to hold open. It writes
 * to the test's store.
 */
class SteppedWriter implements EventWriter {
  readonly depth = 2
  readonly sent: string[][] = []
  /** The batches it wrote (not refused, skipped or recalled). */
  readonly written: string[][] = []
  refuseNext = false
  private readonly flight: {
    rows: readonly EventInsert[]
    done: (result: BatchResult) => void
    epoch: number
    recalled?: boolean
  }[] = []
  private epoch = 0
  private refusedEpoch = -1

  write(rows: readonly EventInsert[], done: (result: BatchResult) => void): void {
    this.sent.push(rows.map((row) => row.message))
    this.flight.push({ rows, done, epoch: this.epoch })
  }

  settleOne(): void {
    const batch = this.flight.shift()
    if (!batch) return
    let result: BatchResult
    if (batch.recalled) result = { error: new BatchRecalled('recalled before it was begun') }
    else if (batch.epoch <= this.refusedEpoch)
      result = { error: new BatchSkipped('an earlier batch was refused') }
    else if (this.refuseNext) {
      this.refuseNext = false
      this.refusedEpoch = batch.epoch
      result = { error: new Error('refused') }
    } else {
      result = { firstId: insertEventBatch(store.db, store.events, store.tasks, batch.rows) }
      this.written.push(batch.rows.map((row) => row.message))
    }
    if ('error' in result && !(result.error instanceof BatchSkipped)) this.epoch++
    batch.done(result)
  }

  wait(): void {
    while (this.flight.length > 0) this.settleOne()
  }

  /** The oldest batch counts as begun, as a thread would be writing it; the rest come back. */
  recallQueued(): void {
    for (const batch of this.flight.slice(1)) batch.recalled = true
  }

  close(): void {}
}

function setup(options: Partial<EventLogOptions> = {}, onThread: boolean | URL = false) {
  dir = tempDir()
  const path = join(dir.path, 'db.sqlite3')
  store = Store.open(path)
  const bus = new EventBus()
  if (onThread) threaded = new ThreadedEventWriter(store, onThread === true ? undefined : onThread)
  const log = new EventLog(store, bus, {
    flushMs: options.flushMs ?? 5,
    ...(threaded ? { writer: threaded } : {}),
    ...options,
  })
  for (const id of ['t1', 't2']) {
    store.tasks.insert(
      {
        id,
        title: id,
        prompt: '',
        runner: 'shell',
        command: 'true',
        model: null,
        workspace: '/tmp',
        worktree_path: null,
        execution_workspace: null,
        runner_session_id: null,
        base_commit: null,
        diff_stat: null,
        approved_at: null,
        worktree_merged_at: null,
        worktree_cleaned_at: null,
        group_id: null,
        status: 'queued',
        budget_minutes: 15,
        policy: defaultPolicy(),
        effective_policy: null,
        cost_ledger: emptyLedger(),
        runner_labels: [],
        checks: [],
        criteria: [],
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      },
      '{}',
    )
  }
  return { bus, log }
}

describe('event log', () => {
  test('seq per task starts at 1, is contiguous and follows append order across tasks', () => {
    const { log } = setup()
    for (let i = 0; i < 5; i++) {
      log.append('t1', { kind: 'stdout', message: `a${i}` })
      log.append('t2', { kind: 'stderr', message: `b${i}` })
    }
    log.flush()
    const t1 = store.events.after('t1', 0, 100)
    expect(t1.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(t1.map((e) => e.message)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
    expect(store.events.after('t2', 0, 100).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
  })

  test('subscribers see a batch only once it is in the database', async () => {
    const { bus, log } = setup()
    const seen: { event: TaskEvent; stored: boolean }[] = []
    bus.onTaskEvents('t1', (events) => {
      for (const event of events) {
        seen.push({ event, stored: store.events.after('t1', event.seq - 1, 1)[0]?.message === event.message })
      }
    })
    log.append('t1', { kind: 'stdout', message: 'one' })
    log.append('t1', { kind: 'stdout', message: 'two', metadata: { partial: true } })
    expect(seen).toEqual([])
    await waitFor('the batch to be published', () => seen.length === 2)
    expect(seen.map((s) => [s.event.seq, s.event.message, s.stored])).toEqual([
      [1, 'one', true],
      [2, 'two', true],
    ])
    expect(seen[1]?.event.metadata).toEqual({ partial: true })
  })

  for (const [where, onThread] of [
    ['on the store connection', false],
    ['by the thread', true],
  ] as const)
    test(`events of a task deleted meanwhile are dropped ${where}; the rest of the batch is written`, () => {
      const { log } = setup({}, onThread)
      log.append('t1', { kind: 'stdout', message: 'kept' })
      log.append('t2', { kind: 'stdout', message: 'orphan' })
      store.tasks.delete('t2')
      log.append('t1', { kind: 'stdout', message: 'kept too' })
      log.flush()
      expect(log.writeError).toBeNull()
      expect(log.bufferedCount).toBe(0)
      expect(store.events.after('t1', 0, 10).map((e) => `${e.seq}:${e.message}`)).toEqual([
        '1:kept',
        '2:kept too',
      ])
    })

  test('a refused flush tells the failure listeners once per outage and retries by itself', async () => {
    const { log } = setup()
    const failures: string[] = []
    log.onWriteFailure((error) => failures.push((error as Error & { code: string }).code))
    store.db.exec('PRAGMA query_only = ON')
    log.append('t1', { kind: 'stdout', message: 'held back' })
    expect(() => log.flush()).toThrow()
    expect(() => log.flush()).toThrow()
    expect(failures).toEqual(['SQLITE_READONLY'])
    store.db.exec('PRAGMA query_only = OFF')
    // Nobody flushes again: the retry the refused flush scheduled writes the batch.
    await waitFor('the held-back event to be written', () => store.events.count('t1') === 1)
    expect(log.writeError).toBeNull()
    expect(log.bufferedCount).toBe(0)
  })

  test('a storage failure keeps the batch buffered; nothing is lost or reordered when writes work again', async () => {
    const { log } = setup()
    log.append('t1', { kind: 'stdout', message: 'before' })
    log.flush()
    store.db.exec('PRAGMA query_only = ON')
    log.append('t1', { kind: 'stdout', message: 'during-1' })
    log.append('t1', { kind: 'stdout', message: 'during-2' })
    expect(() => log.flush()).toThrow()
    expect(log.writeError).not.toBeNull()
    expect(log.bufferedCount).toBe(2)
    store.db.exec('PRAGMA query_only = OFF')
    log.append('t1', { kind: 'stdout', message: 'after' })
    log.flush()
    expect(log.writeError).toBeNull()
    expect(store.events.after('t1', 0, 10).map((e) => `${e.seq}:${e.message}`)).toEqual([
      '1:before',
      '2:during-1',
      '3:during-2',
      '4:after',
    ])
  })

  test('producers are asked to wait above the high-water mark and released by a flush', async () => {
    const { log } = setup({ flushMs: 10_000, batchSize: 1_000_000, highWater: 3, quietBatchRows: 0 })
    // After a flush the next timed one is flushMs away (never sooner: no batch counts as quiet), so
    // only the explicit flush below can release.
    log.append('t2', { kind: 'stdout', message: 'warm-up' })
    log.flush()
    log.append('t1', { kind: 'stdout', message: '1' })
    log.append('t1', { kind: 'stdout', message: '2' })
    expect(log.room()).toBeNull()
    log.append('t1', { kind: 'stdout', message: '3' })
    const wait = log.room()
    expect(wait).toBeInstanceOf(Promise)
    let released = false
    wait?.then(() => (released = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(released).toBe(false)
    log.flush()
    await wait
    expect(released).toBe(true)
  })

  test('a quiet log writes the next line on the next tick; after a large batch it waits flushMs', async () => {
    const { log } = setup({ flushMs: 60_000 })
    log.append('t1', { kind: 'stdout', message: 'first' })
    log.flush()
    log.append('t1', { kind: 'stdout', message: 'right after a small batch' })
    await waitFor('the line written without a flush', () => log.bufferedCount === 0)
    for (let i = 0; i < 100; i++) log.append('t1', { kind: 'stdout', message: `burst ${i}` })
    log.flush()
    log.append('t1', { kind: 'stdout', message: 'after a burst' })
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0))
    expect(log.bufferedCount).toBe(1)
    log.flush()
    expect(store.events.count('t1')).toBe(103)
  })

  test("one task's backlog makes only that task's producer wait; the others keep room", async () => {
    const { log } = setup({
      flushMs: 10_000,
      batchSize: 1_000_000,
      highWater: 100,
      taskHighWater: 2,
      quietBatchRows: 0,
    })
    log.append('t2', { kind: 'stdout', message: 'warm-up' })
    log.flush()
    log.append('t1', { kind: 'stdout', message: '1' })
    expect(log.room('t1')).toBeNull()
    log.append('t1', { kind: 'stdout', message: '2' })
    const wait = log.room('t1')
    expect(wait).toBeInstanceOf(Promise)
    expect(log.room('t2')).toBeNull()
    expect(log.room()).toBeNull()
    let released = false
    wait?.then(() => (released = true))
    log.append('t2', { kind: 'stdout', message: 'other' })
    log.flushTask('t2')
    // Had writing t2 made room for t1, its waiter would have run by now: promise callbacks come first.
    await Promise.resolve()
    await Promise.resolve()
    expect(released).toBe(false)
    log.flush()
    await wait
    expect(released).toBe(true)
    expect(store.events.after('t1', 0, 10).map((e) => e.message)).toEqual(['1', '2'])
  })

  test('long lines count by their size: a batch stops at batchChars, producers wait above highWaterChars', async () => {
    const { log } = setup({ flushMs: 10_000, batchChars: 1000, highWaterChars: 2500 })
    const line = 'x'.repeat(1000)
    for (let i = 0; i < 2; i++) log.append('t1', { kind: 'stdout', message: line })
    expect(log.room()).toBeNull()
    log.append('t1', { kind: 'stdout', message: line })
    const wait = log.room()
    expect(wait).toBeInstanceOf(Promise)
    // The timed flush writes one batch per tick; the first one brings the buffer under the mark.
    await wait
    expect(store.events.after('t1', 0, 10).length).toBe(1)
    expect(log.bufferedCount).toBe(2)
    await waitFor('every batch written', () => log.bufferedCount === 0)
    expect(store.events.after('t1', 0, 10).map((e) => e.seq)).toEqual([1, 2, 3])
  })

  test('a task continues its seq after a restart (new log over the same database)', () => {
    const { log } = setup()
    log.append('t1', { kind: 'stdout', message: 'x' })
    log.append('t1', { kind: 'stdout', message: 'y' })
    log.flush()
    const restarted = new EventLog(store, new EventBus(), { flushMs: 5 })
    restarted.append('t1', { kind: 'stdout', message: 'z' })
    restarted.flush()
    expect(store.events.latest('t1', 1)[0]?.seq).toBe(3)
  })

  test('a batch written many rows per statement publishes each event with the id it was stored under', () => {
    const { bus, log } = setup()
    // An earlier row and a gap make the ids start somewhere other than 1.
    log.append('t2', { kind: 'stdout', message: 'before' })
    log.flush()
    store.events.insertMany([
      {
        task_id: 't2',
        seq: 99,
        attempt_id: null,
        kind: 'stdout',
        message: 'gap',
        metadata_json: null,
        created_at: '2026-01-01T00:00:00.000Z',
      },
    ])
    const published: TaskEvent[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events))
    bus.onTaskEvents('t2', (events) => published.push(...events))
    for (let i = 0; i < 101; i++) {
      log.append(i % 3 === 0 ? 't2' : 't1', {
        kind: 'stdout',
        message: `m${i}`,
        metadata: i % 5 ? null : { n: i },
      })
    }
    log.flush()
    expect(published).toHaveLength(101)
    const stored = [...store.events.after('t1', 0, 200), ...store.events.after('t2', 1, 200)].filter(
      (event) => event.message !== 'gap',
    )
    const byId = new Map(stored.map((event) => [event.id, event]))
    for (const event of published) expect(byId.get(event.id)).toEqual(event)
    expect(new Set(published.map((event) => event.id)).size).toBe(101)
  })

  test("a unit of work writes its own task's output first and leaves other tasks' output to their batches", () => {
    const { log } = setup({ flushMs: 60_000 })
    log.append('t1', { kind: 'stdout', message: 'out of t1' })
    log.append('t2', { kind: 'stdout', message: 'out of t2' })
    const [event] = log.commit('t1', [{ kind: 'lifecycle', message: 'done' }])
    expect(store.events.after('t1', 0, 10).map((e) => `${e.seq}:${e.message}`)).toEqual([
      '1:out of t1',
      '2:done',
    ])
    expect(event?.seq).toBe(2)
    expect(store.events.after('t2', 0, 10)).toEqual([])
    expect(log.bufferedCount).toBe(1)
    log.flush()
    expect(store.events.after('t2', 0, 10).map((e) => e.message)).toEqual(['out of t2'])
  })

  test("a deleted task's buffered output is discarded, the others' is kept", () => {
    const { log } = setup({ flushMs: 60_000 })
    log.append('t1', { kind: 'stdout', message: 'kept' })
    log.append('t2', { kind: 'stdout', message: 'gone' })
    store.tasks.delete('t2')
    log.discardTask('t2')
    expect(log.bufferedCount).toBe(1)
    log.flush()
    expect(log.writeError).toBeNull()
    expect(store.events.after('t1', 0, 10).map((e) => e.message)).toEqual(['kept'])
  })
})

describe('event log writing on its own thread', () => {
  const messages = (taskId: string) =>
    store.events.after(taskId, 0, 10_000).map((e) => `${e.seq}:${e.message}`)

  test('subscribers see each batch once it is in the database, with the ids it was stored under', async () => {
    const { bus, log } = setup({ batchSize: 100 }, true)
    const seen: { event: TaskEvent; stored: TaskEvent | undefined }[] = []
    for (const id of ['t1', 't2'])
      bus.onTaskEvents(id, (events) => {
        for (const event of events) seen.push({ event, stored: store.events.after(id, event.seq - 1, 1)[0] })
      })
    for (let i = 0; i < 250; i++) {
      log.append('t1', { kind: 'stdout', message: `a${i}` })
      log.append('t2', { kind: 'stdout', message: `b${i}`, metadata: { i } })
    }
    expect(seen).toEqual([])
    await waitFor('every batch to be published', () => seen.length === 500)
    for (const { event, stored } of seen) expect(stored).toEqual(event)
    for (const id of ['t1', 't2'])
      expect(seen.filter((s) => s.event.task_id === id).map((s) => s.event.seq)).toEqual(
        Array.from({ length: 250 }, (_, i) => i + 1),
      )
    expect(log.bufferedCount).toBe(0)
  })

  test("a quiet log's few rows are written on the next turn of the loop, a burst's on the thread", async () => {
    const { bus, log } = setup({ batchSize: 100, quietBatchRows: 8 }, true)
    const published: number[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events.map((event) => event.seq)))
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
    log.append('t1', { kind: 'stdout', message: 'first line' })
    await nextTurn()
    // Written and published within that turn: no trip to the thread and back.
    expect(log.bufferedCount).toBe(0)
    expect(published).toEqual([1])
    expect(store.events.count('t1')).toBe(1)
    for (let i = 0; i < 50; i++) log.append('t1', { kind: 'stdout', message: `burst ${i}` })
    await nextTurn()
    // On the thread: it settles through a message, which this turn has not taken yet.
    expect(log.bufferedCount).toBe(50)
    expect(published).toEqual([1])
    await waitFor('the burst to be published', () => published.length === 51)
    expect(store.events.count('t1')).toBe(51)
  })

  test("a unit of work waits for the thread's batch and keeps its events after the task's output", async () => {
    const { bus, log } = setup({ batchSize: 100 }, true)
    const published: string[] = []
    bus.onTaskEvents('t1', (events) => {
      for (const event of events) published.push(`${event.seq}:${event.message}`)
    })
    for (let i = 0; i < 250; i++) log.append('t1', { kind: 'stdout', message: `line ${i}` })
    // One turn of the event loop: the first batch goes to the thread.
    await new Promise((resolve) => setImmediate(resolve))
    const [ended] = log.commit('t1', [{ kind: 'lifecycle', message: 'ended' }], (at) =>
      store.tasks.touch('t1', at),
    )
    expect(ended?.seq).toBe(251)
    const stored = messages('t1')
    expect(stored).toHaveLength(251)
    expect(stored.at(-1)).toBe('251:ended')
    expect(published).toEqual(stored)
    expect(log.bufferedCount).toBe(0)
  })

  test('a batch the database refuses is reported once, stays buffered, and is written when it can be', async () => {
    const { log } = setup({}, true)
    const failures: string[] = []
    log.onWriteFailure((error) => failures.push(error.message))
    log.append('t1', { kind: 'stdout', message: 'before' })
    log.flush()
    const refusal = refuseEvents('1', 'no room for events')
    log.append('t1', { kind: 'stdout', message: 'during-1' })
    log.append('t1', { kind: 'stdout', message: 'during-2' })
    expect(() => log.flush()).toThrow('no room for events')
    expect(() => log.flush()).toThrow('no room for events')
    expect(failures).toEqual(['no room for events'])
    expect(log.bufferedCount).toBe(2)
    const written = log.written('t1')
    refusal.allow()
    log.append('t1', { kind: 'stdout', message: 'after' })
    // Nobody flushes: the retry the refusal scheduled writes all of it.
    await waitFor('the held-back events to be written', () => store.events.count('t1') === 4)
    await written
    expect(log.writeError).toBeNull()
    expect(messages('t1')).toEqual(['1:before', '2:during-1', '3:during-2', '4:after'])
  })

  test('the thread checkpoints the log as it grows; the main connection never does while the thread lives', async () => {
    const { log } = setup({}, true)
    const autocheckpoint = () =>
      store.db.query<{ wal_autocheckpoint: number }, []>('PRAGMA wal_autocheckpoint').get()
        ?.wal_autocheckpoint
    expect(autocheckpoint()).toBe(0)
    const line = 'x'.repeat(100 * 1024)
    // 40 MiB of output, a batch of about 4 MiB at a time.
    for (let i = 0; i < 400; i++) {
      log.append('t1', { kind: 'stdout', message: line })
      await log.room('t1')
    }
    await log.written('t1')
    expect(store.events.count('t1')).toBe(400)
    // Checkpointed along the way, the log was started over and cut back (journal_size_limit, 8 MiB)
    // instead of holding all 40 MiB.
    expect(statSync(`${store.db.filename}-wal`).size).toBeLessThan(20 * 1024 * 1024)
  })

  test('while a refused batch waits for the skipped one behind it, nothing later is sent ahead of it', async () => {
    // The thread's two messages (refused, skipped) may arrive a turn apart; a writer that settles
    // when told holds the log in that gap.
    const writer = new SteppedWriter()
    const { bus, log } = setup({ batchSize: 4, quietBatchRows: 0, writer })
    const published: number[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events.map((event) => event.seq)))
    for (let i = 1; i <= 12; i++) log.append('t1', { kind: 'stdout', message: `m${i}` })
    await new Promise((resolve) => setImmediate(resolve))
    expect(writer.sent).toEqual([
      ['m1', 'm2', 'm3', 'm4'],
      ['m5', 'm6', 'm7', 'm8'],
    ])
    writer.refuseNext = true
    writer.settleOne()
    // Output goes on meanwhile, and the loop turns.
    log.append('t1', { kind: 'stdout', message: 'm13' })
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(writer.sent).toHaveLength(2)
    writer.settleOne()
    log.flush()
    expectStoredInOrder('t1', 13)
    expect(published).toEqual(Array.from({ length: 13 }, (_, i) => i + 1))
  })

  test('a transition with two batches out waits for the one being written: the one queued behind it comes back, and its rows are written once, in order', async () => {
    const writer = new SteppedWriter()
    const { bus, log } = setup({ batchSize: 4, quietBatchRows: 0, writer })
    const failures: string[] = []
    log.onWriteFailure((error) => failures.push(error.message))
    const published: number[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events.map((event) => event.seq)))
    for (let i = 1; i <= 4; i++) log.append('t2', { kind: 'stdout', message: `t2 line ${i}` })
    for (let i = 1; i <= 6; i++) log.append('t1', { kind: 'stdout', message: `t1 line ${i}` })
    await new Promise((resolve) => setImmediate(resolve))
    expect(writer.sent).toEqual([
      ['t2 line 1', 't2 line 2', 't2 line 3', 't2 line 4'],
      ['t1 line 1', 't1 line 2', 't1 line 3', 't1 line 4'],
    ])
    log.commit('t1', [{ kind: 'lifecycle', message: 'transition' }])
    // The writer wrote the first batch only; t1's six rows went with the transition, before its event.
    expect(writer.written).toEqual([['t2 line 1', 't2 line 2', 't2 line 3', 't2 line 4']])
    expect(store.events.count('t2')).toBe(4)
    expect(messages('t1')).toEqual([
      ...Array.from({ length: 6 }, (_, i) => `${i + 1}:t1 line ${i + 1}`),
      '7:transition',
    ])
    log.flush()
    expect(failures).toEqual([])
    expect(log.writeError).toBeNull()
    expect(published).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(log.bufferedCount).toBe(0)
  })

  test("the writer's thread finishes the batch it is writing and hands back the one it had not begun", async () => {
    setup({}, true)
    const writer = threaded as ThreadedEventWriter
    const row = (seq: number): EventInsert => ({
      task_id: 't1',
      seq,
      attempt_id: null,
      kind: 'stdout',
      message: `line ${seq}`,
      metadata_json: null,
      created_at: '2026-01-01T00:00:00.000Z',
    })
    // Another connection holds the write lock: the thread waits on its first batch with the second behind it.
    const holder = Store.open(store.db.filename)
    holder.db.exec('BEGIN IMMEDIATE')
    const results: BatchResult[] = []
    writer.write([row(1), row(2)], (result) => results.push(result))
    writer.write([row(3), row(4)], (result) => results.push(result))
    writer.recallQueued()
    holder.db.exec('COMMIT')
    holder.close()
    writer.wait()
    expect(results).toHaveLength(2)
    expect('firstId' in (results[0] as BatchResult)).toBe(true)
    expect((results[1] as { error: Error }).error).toBeInstanceOf(BatchRecalled)
    expect(store.events.after('t1', 0, 10).map((event) => event.seq)).toEqual([1, 2])
    // Nothing was refused: the next batch is written as any other.
    writer.write([row(3), row(4)], (result) => results.push(result))
    writer.wait()
    expect('firstId' in (results[2] as BatchResult)).toBe(true)
    expectStoredInOrder('t1', 4)
  })

  test('a unit of work a listener commits while another one waits for the thread does not let the next batch start under the outer one', async () => {
    const { bus, log } = setup({ batchSize: 4, quietBatchRows: 0 }, true)
    const failures: string[] = []
    log.onWriteFailure((error) => failures.push(error.message))
    let innerCommitted = false
    bus.onTaskEvents('t2', () => {
      if (innerCommitted) return
      innerCommitted = true
      log.commit('t2', [{ kind: 'lifecycle', message: 'inner' }])
    })
    for (let i = 1; i <= 4; i++) log.append('t2', { kind: 'stdout', message: `t2 line ${i}` })
    for (let i = 1; i <= 8; i++) log.append('t1', { kind: 'stdout', message: `t1 line ${i}` })
    // Both batches (t2's four rows, then four of t1's) go out on this turn; their reports are
    // taken within the commit below, so t2's listener commits inside it.
    await new Promise((resolve) => setImmediate(resolve))
    log.commit('t1', [{ kind: 'lifecycle', message: 'outer' }])
    expect(innerCommitted).toBe(true)
    // A batch started under the outer unit of work would hold rows it wrote itself: refused here.
    log.flush()
    expect(failures).toEqual([])
    expect(messages('t1')).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `${i + 1}:t1 line ${i + 1}`),
      '9:outer',
    ])
    expect(messages('t2')).toEqual([
      ...Array.from({ length: 4 }, (_, i) => `${i + 1}:t2 line ${i + 1}`),
      '5:inner',
    ])
    expect(log.bufferedCount).toBe(0)
  })

  test('a burst of one-character lines is checkpointed by what it adds to the log, not by its text alone', async () => {
    const { log } = setup({}, true)
    // 200,000 rows of one character: under 200 KB of text, some 20 MiB of log.
    for (let i = 0; i < 200_000; i++) {
      log.append('t1', { kind: 'stdout', message: 'x' })
      const room = log.room('t1')
      if (room) await room
    }
    await log.written('t1')
    expect(store.events.count('t1')).toBe(200_000)
    expect(statSync(`${store.db.filename}-wal`).size).toBeLessThan(16 * 1024 * 1024)
  })

  test("a task's written() resolves while other output keeps the writer busy", async () => {
    const { log } = setup({ batchSize: 100, taskHighWater: 1_000_000 }, true)
    log.append('t1', { kind: 'stdout', message: 'done' })
    await log.written('t1')
    for (let i = 0; i < 5000; i++) log.append('t2', { kind: 'stdout', message: `busy ${i}` })
    // The first of t2's batches go out on the next turn; t1 has nothing left to write by then.
    await new Promise((resolve) => setImmediate(resolve))
    await log.written('t1')
    // Answered between two of t2's batches, not after all fifty of them.
    expect(store.events.count('t2')).toBeLessThan(5000)
    await waitFor('the rest to be written', () => store.events.count('t2') === 5000)
  })

  test('a batch sent while a refused one was out is skipped, not written past it; both go once the database takes them', async () => {
    const { bus, log } = setup({ batchSize: 100, flushMs: 5 }, true)
    const failures: string[] = []
    log.onWriteFailure((error) => failures.push(error.message))
    const published: number[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events.map((event) => event.seq)))
    // Only the first batch holds the refused row; the second on its own would be written.
    const refusal = refuseEvents("NEW.message = 'poison'", 'poison refused')
    for (let i = 1; i <= 250; i++)
      log.append('t1', { kind: 'stdout', message: i === 50 ? 'poison' : `line ${i}` })
    await new Promise((resolve) => setImmediate(resolve))
    // Both full batches went to the thread in that turn, the second before the first came back.
    expect((threaded as unknown as { sent: number }).sent).toBe(2)
    await waitFor('the refusal to be taken', () => failures.length > 0)
    expect(store.events.count('t1')).toBe(0)
    expect(published).toEqual([])
    refusal.allow()
    await waitFor('every event to be written', () => store.events.count('t1') === 250)
    await waitFor('every event to be published', () => published.length === 250)
    expect(failures).toEqual(['poison refused'])
    expect(published).toEqual(Array.from({ length: 250 }, (_, i) => i + 1))
    expectStoredInOrder('t1', 250)
    expect(log.writeError).toBeNull()
  })

  test("a run's ending can wait for its output to be written; a flush at shutdown writes the rest", async () => {
    const { log } = setup({ flushMs: 60_000, quietBatchRows: 0 }, true)
    log.append('t1', { kind: 'stdout', message: 'first' })
    log.append('t1', { kind: 'stdout', message: 'second' })
    expect(log.bufferedCount).toBe(2)
    const written = log.written('t1')
    log.flush()
    await written
    log.append('t2', { kind: 'stdout', message: 'last' })
    log.flush()
    log.close()
    threaded = null
    expect(messages('t1')).toEqual(['1:first', '2:second'])
    expect(messages('t2')).toEqual(['1:last'])
  })

  test("a deleted task's rows in two batches out at once are dropped once both came back; the rest is written in order", async () => {
    const { log } = setup({ batchSize: 100 }, true)
    for (let i = 1; i <= 400; i++) {
      if (i % 4 === 0) log.append('t2', { kind: 'stdout', message: `orphan ${i}` })
      else log.append('t1', { kind: 'stdout', message: `kept ${i}` })
    }
    store.tasks.delete('t2')
    // Both batches go out in the next turn; the first fails its foreign key and the second is skipped.
    await waitFor('every kept event to be written', () => store.events.count('t1') === 300)
    await waitFor('the buffer to empty', () => log.bufferedCount === 0)
    expectStoredInOrder('t1', 300)
    expect(log.writeError).toBeNull()
  })
})

describe('event log whose writer thread ends', () => {
  const endingThread = new URL('../support/ending-event-writer-thread.ts', import.meta.url)
  const messages = (taskId: string) =>
    store.events.after(taskId, 0, 10_000).map((e) => `${e.seq}:${e.message}`)

  function endingSetup() {
    // Every batch goes to the thread, however small (a quiet log's would be written inline).
    const { bus, log } = setup({ quietBatchRows: 0 }, endingThread)
    const failures: Error[] = []
    log.onWriteFailure((error) => failures.push(error))
    const published: string[] = []
    bus.onTaskEvents('t1', (events) => {
      for (const event of events) published.push(`${event.id}:${event.seq}:${event.message}`)
    })
    const stored = () => store.events.after('t1', 0, 10_000).map((e) => `${e.id}:${e.seq}:${e.message}`)
    return { log, failures, published, stored }
  }

  test('mid-batch, while the log waits for it: the batch is refused once, then written on the main connection', () => {
    const { log, failures, published, stored } = endingSetup()
    log.append('t1', { kind: 'stdout', message: 'first' })
    log.append('t1', { kind: 'stdout', message: ENDS_BEFORE_COMMIT })
    log.append('t2', { kind: 'stdout', message: 'other' })
    // Blocks on the batch the thread takes and never settles: the thread's end ends the wait.
    log.flush()
    expect(failures).toHaveLength(1)
    expect(failures[0]).toBeInstanceOf(WriterThreadEnded)
    expect(log.writeError).toBeNull()
    expect(log.bufferedCount).toBe(0)
    // With the thread gone, the main connection checkpoints the log itself again.
    expect(store.db.query<{ wal_autocheckpoint: number }, []>('PRAGMA wal_autocheckpoint').get()).toEqual({
      wal_autocheckpoint: 1000,
    })
    log.append('t1', { kind: 'stdout', message: 'after' })
    log.flush()
    expect(messages('t1')).toEqual(['1:first', `2:${ENDS_BEFORE_COMMIT}`, '3:after'])
    expect(messages('t2')).toEqual(['1:other'])
    expect(published).toEqual(stored())
  })

  test('ending with two batches out, after committing the first: what follows waits for the second, nothing goes ahead of it', async () => {
    const { bus, log } = setup({ batchSize: 2, quietBatchRows: 0 }, endingThread)
    const published: number[] = []
    bus.onTaskEvents('t1', (events) => published.push(...events.map((event) => event.seq)))
    log.append('t1', { kind: 'stdout', message: 'l1' })
    log.append('t1', { kind: 'stdout', message: EXITS_AFTER_COMMIT })
    for (let i = 3; i <= 6; i++) log.append('t1', { kind: 'stdout', message: `l${i}` })
    // Two batches go out on this turn: the first ends the thread once committed.
    await new Promise((resolve) => setImmediate(resolve))
    expect((threaded as unknown as { sent: number }).sent).toBe(2)
    log.flush()
    expectStoredInOrder('t1', 6)
    expect(published).toEqual([1, 2, 3, 4, 5, 6])
  })

  test('once its batch committed: the batch counts as written, once, and nothing is reported failed', () => {
    const { log, failures, published, stored } = endingSetup()
    log.append('t1', { kind: 'stdout', message: 'first' })
    log.append('t1', { kind: 'stdout', message: EXITS_AFTER_COMMIT })
    log.flush()
    log.append('t1', { kind: 'stdout', message: 'after' })
    log.flush()
    expect(failures).toEqual([])
    expect(messages('t1')).toEqual(['1:first', `2:${EXITS_AFTER_COMMIT}`, '3:after'])
    expect(published).toEqual(stored())
  })

  test('with nobody waiting: its end settles the batch, which the retry writes on the main connection', async () => {
    const { log, failures, published, stored } = endingSetup()
    log.append('t1', { kind: 'stdout', message: 'first' })
    log.append('t1', { kind: 'stdout', message: ENDS_BEFORE_COMMIT })
    // Resolves once the batch is written or refused: the thread's end must settle it.
    await log.written('t1')
    expect(failures).toHaveLength(1)
    expect(failures[0]).toBeInstanceOf(WriterThreadEnded)
    log.append('t1', { kind: 'stdout', message: 'after' })
    await waitFor('the refused batch to be written', () => store.events.count('t1') === 3)
    expect(messages('t1')).toEqual(['1:first', `2:${ENDS_BEFORE_COMMIT}`, '3:after'])
    await waitFor('the last batch to be published', () => published.length === 3)
    expect(published).toEqual(stored())
    expect(log.writeError).toBeNull()
  })
})
