import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { EVENT_KINDS } from '../../src/models/vocabulary'
import { decodeRows, encodeRows, transferables } from '../../src/storage/event-rows'
import type { EventInsert } from '../../src/storage/events'

/** Text as process output gives it: any code point, multi-byte and astral ones included. */
const text = fc.string({ unit: 'grapheme', maxLength: 40 })
const row: fc.Arbitrary<EventInsert> = fc.record({
  task_id: fc.constantFrom('t1', 't2', 'ü-task'),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  attempt_id: fc.option(fc.constantFrom('a1', 'a2'), { nil: null }),
  kind: fc.constantFrom(...EVENT_KINDS),
  message: text,
  metadata_json: fc.option(fc.json(), { nil: null }),
  created_at: fc.constantFrom('2026-12-02T10:00:00.000Z', '2026-12-02T10:00:00.001Z'),
})

describe("a batch on its way to the event writer's thread", () => {
  test('decodes to the rows it was made of, whatever their text', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (rows) => {
        expect(decodeRows(encodeRows(rows))).toEqual(rows)
      }),
    )
  })

  test('a byte order mark at the start of the first message is text: nothing after it shifts', () => {
    const rows: EventInsert[] = [
      {
        task_id: 't1',
        seq: 1,
        attempt_id: null,
        kind: 'stdout',
        message: '\uFEFFhello',
        metadata_json: null,
        created_at: 'now',
      },
      {
        task_id: 't1',
        seq: 2,
        attempt_id: null,
        kind: 'stdout',
        message: 'world',
        metadata_json: '{"a":1}',
        created_at: 'now',
      },
    ]
    expect(decodeRows(encodeRows(rows))).toEqual(rows)
  })

  test('survives the move to another thread, its buffers handed over rather than copied', async () => {
    const rows: EventInsert[] = [
      {
        task_id: 't1',
        seq: 1,
        attempt_id: 'a1',
        kind: 'stdout',
        message: 'naïve ✓ 𝄞',
        metadata_json: null,
        created_at: 'now',
      },
      {
        task_id: 't1',
        seq: 2,
        attempt_id: null,
        kind: 'stderr',
        message: '',
        metadata_json: '{"partial":true}',
        created_at: 'now',
      },
    ]
    const encoded = encodeRows(rows)
    const { port1, port2 } = new MessageChannel()
    const received = new Promise<unknown>((resolve) => {
      port2.onmessage = (event) => resolve(event.data)
    })
    port1.postMessage(encoded, transferables(encoded))
    // Handed over: the sender's buffers are empty now.
    expect(encoded.text.byteLength).toBe(0)
    expect(encoded.numbers.length).toBe(0)
    expect(decodeRows((await received) as typeof encoded)).toEqual(rows)
    port1.close()
    port2.close()
  })
})
