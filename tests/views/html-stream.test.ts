import { describe, expect, test } from 'bun:test'
import type { TaskEvent } from '../../src/domain'
import type { StatusChange } from '../../src/events/event-bus'
import {
  htmlFrame,
  namedFrame,
  type TimelineSource,
  timelineHtmlStream,
} from '../../src/routes/pages/html-stream'
import { readSseText } from '../support/sse'

const ev = (seq: number): TaskEvent => ({
  id: String(seq),
  task_id: 't',
  seq,
  attempt_id: null,
  kind: 'stdout',
  message: `line ${seq}`,
  metadata: null,
  created_at: '2026-01-01T00:00:00.000Z',
})

/** An in-memory timeline: stored events plus a bus that publishes what is appended. */
function fakeSource(stored: number) {
  const events = Array.from({ length: stored }, (_, i) => ev(i + 1))
  const eventListeners = new Set<(batch: TaskEvent[]) => void>()
  const statusListeners = new Set<(change: StatusChange) => void>()
  const source: TimelineSource = {
    page: (after, limit) => events.filter((e) => e.seq > after).slice(0, limit),
    onEvents: (listener) => {
      eventListeners.add(listener)
      return () => eventListeners.delete(listener)
    },
    onStatus: (listener) => {
      statusListeners.add(listener)
      return () => statusListeners.delete(listener)
    },
  }
  return {
    source,
    append(count: number) {
      const batch = Array.from({ length: count }, (_, i) => ev(events.length + i + 1))
      events.push(...batch)
      for (const listener of eventListeners) listener(batch)
    },
    status() {
      for (const listener of statusListeners) listener({} as StatusChange)
    },
    listeners: () => eventListeners.size + statusListeners.size,
  }
}

const render = {
  events: (events: TaskEvent[]) => events.map((e) => `<li data-seq="${e.seq}">${e.message}\n</li>`).join(''),
  status: () => namedFrame('status', { status: 'running' }),
}

describe('htmlFrame', () => {
  test('one data line whatever the fragment holds, with its seq as the id; controls shown as on every page', () => {
    expect(htmlFrame('<pre>a\r\nb\nc\x00</pre>', 9)).toBe('id: 9\ndata: <pre>a␍&#10;b&#10;c␀</pre>\n\n')
    expect(htmlFrame('<li></li>')).toBe('data: <li></li>\n\n')
  })
})

describe('timelineHtmlStream', () => {
  test('pages the backlog after the resume point, then sends live batches once, in order', async () => {
    const fake = fakeSource(25)
    const stream = timelineHtmlStream(fake.source, render, { after: 5, backlogPage: 10, heartbeatMs: 60_000 })
    const seen: number[] = []
    let statusFrames = 0
    for await (const frame of readSseText(stream)) {
      if (frame.event === 'status') {
        statusFrames++
        // Live from here: a batch that overlaps what was sent must not repeat it.
        if (statusFrames === 1) fake.append(3)
        continue
      }
      if (frame.event === 'ready') continue
      const seqs = [...frame.data.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1]))
      expect(frame.id).toBe(String(seqs.at(-1)))
      expect(frame.data).not.toContain('\n')
      seen.push(...seqs)
      if (seen.at(-1) === 28) break
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 6))
    expect(statusFrames).toBe(1)
  })

  test('a status change sends the current state; cancelling unsubscribes', async () => {
    const fake = fakeSource(0)
    const stream = timelineHtmlStream(fake.source, render, { after: 0, heartbeatMs: 60_000 })
    const reader = readSseText(stream)
    expect((await reader.next()).value?.event).toBe('ready')
    expect((await reader.next()).value?.event).toBe('status')
    fake.status()
    expect((await reader.next()).value?.event).toBe('status')
    await reader.return(undefined)
    expect(fake.listeners()).toBe(0)
  })

  test('a reader that falls too far behind is disconnected rather than buffered without end', async () => {
    const fake = fakeSource(0)
    const stream = timelineHtmlStream(fake.source, render, {
      after: 0,
      maxBufferedBytes: 1024,
      heartbeatMs: 60_000,
    })
    const reader = stream.getReader()
    await reader.read()
    await reader.read()
    // Far more than the stream's own queue (256 KB) plus the allowance, all unread.
    for (let i = 0; i < 2000; i++) fake.append(20)
    let done = false
    while (!done) done = (await reader.read()).done
    expect(fake.listeners()).toBe(0)
  })
})
