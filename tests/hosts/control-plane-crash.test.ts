import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gate, openGate, RunnerCluster, type TaskEvent } from '../support/runner-cluster'
import { readSse } from '../support/sse'

let cluster: RunnerCluster

beforeAll(async () => {
  cluster = await RunnerCluster.start({ leaseMs: 5000 })
  await cluster.addHost('host-a', ['linux', 'a'])
})

afterAll(async () => {
  await cluster?.close()
})

const TERMINAL = ['ready-for-review', 'failed', 'stopped']

/**
 * A client of /tasks/{id}/stream as a browser's EventSource is: it reconnects whenever the stream
 * ends or cannot be opened, with Last-Event-ID, until the task's status is final. Returns every
 * event frame it got, in order, and how many connections it took.
 */
async function follow(id: string, connected: () => void) {
  const frames: TaskEvent[] = []
  let connections = 0
  let lastId: string | null = null
  for (;;) {
    try {
      const response: Response = await fetch(`${cluster.server.url}/tasks/${id}/stream`, {
        headers: { ...cluster.server.auth, ...(lastId === null ? {} : { 'last-event-id': lastId }) },
      })
      if (!response.ok) throw new Error(`stream answered ${response.status}`)
      connections++
      connected()
      for await (const frame of readSse(response)) {
        if (frame.event === 'status' && TERMINAL.includes(frame.data.status)) return { frames, connections }
        if (frame.id === undefined) continue
        frames.push(frame.data)
        lastId = frame.id
      }
    } catch {
      // Down (refused) or cut off (killed): like EventSource, try again.
    }
    await Bun.sleep(50)
  }
}

describe('the control plane killed mid-run', () => {
  test('the run goes on and spools; the restarted control plane gets every event in order and the outcome, and a stream across the restart has no gap and no duplicate', async () => {
    const lines = Array.from({ length: 40 }, (_, index) => `line-${index + 1}`)
    const id = await cluster.startTask(
      `echo before && ${gate('down')} && for l in ${lines.join(' ')}; do echo $l; done && ${gate('up')} && echo after > out.txt && echo after`,
      ['linux', 'a'],
    )
    let connects = 0
    const stream = follow(id, () => connects++)
    await cluster.untilEvent(id, 'at its first gate', (event) => event.message === 'at down')
    const { worktree, attemptId } = await cluster.placement(id)
    expect(connects).toBe(1)

    await cluster.crashServer()
    await openGate(worktree, 'down')
    // With nobody to take them, the events wait in the host's spool (on disk).
    const spooled = join(cluster.host('host-a').dir, 'private', 'spool', `${attemptId}.events`)
    await cluster.until('the host to spool what it ran meanwhile', () =>
      readFileSync(spooled, 'utf8').includes('"at up"'),
    )
    expect(readFileSync(spooled, 'utf8')).toContain('"line-40"')

    await cluster.startServer()
    await cluster.untilEvent(id, 'the spooled events delivered', (event) => event.message === 'at up')
    await openGate(worktree, 'up')
    const done = await cluster.untilStatus(id, TERMINAL)
    expect(done.status).toBe('ready-for-review')
    expect(done.attempts).toHaveLength(1)

    const { frames, connections } = await stream
    expect(connections).toBeGreaterThanOrEqual(2)
    // Every seq once, none skipped, and exactly what the timeline stored.
    const seqs = frames.map((event) => event.seq)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1))
    const stored = await cluster.events(id)
    expect(seqs).toEqual(stored.map((event) => event.seq).slice(0, seqs.length))
    const output = frames.filter((event) => event.kind === 'stdout').map((event) => event.message)
    expect(output).toEqual(['before', 'at down', ...lines, 'at up', 'after'])
    // The runner's own seqs arrived in order with no gap.
    const runnerSeqs = stored
      .map((event) => event.metadata?.runner_seq)
      .filter((seq): seq is number => typeof seq === 'number')
    expect(runnerSeqs).toEqual(Array.from({ length: runnerSeqs.length }, (_, index) => index + 1))
    const diff = await cluster.api('GET', `/tasks/${id}/diff`)
    expect(diff.body.files.map((file: { path: string }) => file.path)).toEqual(['out.txt'])
  }, 90_000)
})
