import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/process/process-group'
import { createTestNetwork, networkNamespacesUnavailable, type TestNetwork } from '../support/netns'
import { processesMentioning } from '../support/processes'
import { gate, openGate, RunnerCluster } from '../support/runner-cluster'
import { readSse } from '../support/sse'

const unavailable = networkNamespacesUnavailable()
if (unavailable !== null) console.log(`partition tests skipped: ${unavailable}`)

let network: TestNetwork
let cluster: RunnerCluster

describe.skipIf(unavailable !== null)(
  'a runner host behind a network that fails (its own namespace, a veth pair)',
  () => {
    beforeAll(async () => {
      network = createTestNetwork()
      // The control plane and the broker listen on this side's veth address, which the host reaches.
      cluster = await RunnerCluster.start({ leaseMs: 6000, bind: network.hostAddress })
      await cluster.addHost('island', ['linux', 'island'], { prefix: network.exec })
    })

    afterAll(async () => {
      await cluster?.close()
      network?.remove()
    })

    const spoolFile = (attemptId: string) =>
      join(cluster.host('island').dir, 'private', 'spool', `${attemptId}.events`)

    test('a partition shorter than the lease: the events wait in the spool, then all arrive in order, and the run completes', async () => {
      const lines = Array.from({ length: 30 }, (_, index) => `line-${index + 1}`)
      const id = await cluster.startTask(
        `echo before && ${gate('cut')} && for l in ${lines.join(' ')}; do echo $l; done && ${gate('mend')} && echo after > out.txt`,
        ['linux', 'island'],
      )
      await cluster.untilEvent(id, 'at its first gate', (event) => event.message === 'at cut')
      const { worktree, attemptId } = await cluster.placement(id)

      network.cut()
      await openGate(worktree, 'cut')
      await cluster.until('the host to spool what it ran during the partition', () =>
        readFileSync(spoolFile(attemptId), 'utf8').includes('"at mend"'),
      )
      // Not delivered: the link is down.
      expect((await cluster.events(id)).some((event) => event.message === 'line-1')).toBe(false)
      network.mend()

      await cluster.untilEvent(id, 'the spooled events delivered', (event) => event.message === 'at mend')
      await openGate(worktree, 'mend')
      const done = await cluster.untilStatus(id, ['ready-for-review', 'failed', 'stopped'])
      expect(done.status).toBe('ready-for-review')
      expect(done.attempts).toHaveLength(1)
      const events = await cluster.events(id)
      const output = events.filter((event) => event.kind === 'stdout').map((event) => event.message)
      expect(output).toEqual(['before', 'at cut', ...lines, 'at mend'])
      const runnerSeqs = events
        .map((event) => event.metadata?.runner_seq)
        .filter((seq): seq is number => typeof seq === 'number')
      expect(runnerSeqs).toEqual(Array.from({ length: runnerSeqs.length }, (_, index) => index + 1))
      const diff = await cluster.api('GET', `/tasks/${id}/diff`)
      expect(diff.body.files.map((file: { path: string }) => file.path)).toEqual(['out.txt'])
    }, 60_000)

    test('a partition longer than the lease: the run fails "lost"; when the link is back the host ends the run, and what it did meanwhile is kept, late', async () => {
      const suffix = crypto.randomUUID()
      const marker = `partition-marker-${suffix}`
      const lines = Array.from({ length: 20 }, (_, index) => `late-${index + 1}`)
      // The marker is split in the command, so only the waiting process's command line has it whole.
      const id = await cluster.startTask(
        `echo kept > kept.txt && mkfifo .hold && ${gate('cut')} && for l in ${lines.join(' ')}; do echo $l; done && echo late > late.txt && echo "at hold" && sh -c 'read _ < .hold' "partition-"marker-${suffix}`,
        ['linux', 'island'],
      )
      await cluster.untilEvent(id, 'at its gate', (event) => event.message === 'at cut')
      const { worktree, attemptId } = await cluster.placement(id)

      network.cut()
      const failed = await cluster.untilStatus(id, ['failed', 'ready-for-review', 'stopped'])
      expect(failed.status).toBe('failed')
      expect(failed.current_attempt.summary).toBe('runner host island lost')
      await cluster.untilHost('island', 'lost')
      // Failed here, cut off there: the run goes on, prints and writes a file.
      await openGate(worktree, 'cut')
      await cluster.until('the host to spool what the run did cut off', () =>
        readFileSync(spoolFile(attemptId), 'utf8').includes('"at hold"'),
      )
      const running = await cluster.until('the run to wait', () => {
        const found = processesMentioning(marker)
        return found.length === 1 ? found : null
      })
      // Out of reach, the host cannot know yet: its run goes on.
      expect(running.every(processLiving)).toBe(true)
      const failure = (await cluster.events(id)).find(
        (event) => event.metadata?.reason === 'runner-host-lost',
      )
      expect(failure).toBeDefined()
      // A client that follows the timeline from the failure on sees what comes late as it comes.
      const stream = await fetch(`${cluster.server.url}/tasks/${id}/stream?after=${failure?.seq}`, {
        headers: cluster.server.auth,
      })
      const streamed: string[] = []
      const followed = (async () => {
        for await (const frame of readSse(stream)) {
          if (frame.event !== 'message') continue
          if (frame.data.metadata?.category === 'late-report') return
          if (frame.data.metadata?.late === true) streamed.push(frame.data.message)
        }
      })()

      network.mend()
      await cluster.until('the host to end the run', () => running.every((pid) => !processLiving(pid)))
      const report = await cluster.untilEvent(
        id,
        "the host's report",
        (event) => event.metadata?.category === 'late-report',
      )
      expect(report.message).toBe(
        'Runner host island reported after the attempt had ended: Stopped: the control plane had counted its runner host as lost and failed the run',
      )
      await followed
      expect(streamed).toEqual([...lines, 'at hold'])
      await cluster.untilHost('island', 'online')
      const after = await cluster.task(id)
      expect(after.status).toBe('failed')
      expect(after.attempts).toHaveLength(1)

      // Every line of the partition once, in the host's order, marked late, after the failure.
      const events = await cluster.events(id)
      const output = events.filter((event) => event.kind === 'stdout')
      expect(output.map((event) => event.message)).toEqual(['at cut', ...lines, 'at hold'])
      const late = output.filter((event) => event.metadata?.late === true)
      expect(late.map((event) => event.message)).toEqual([...lines, 'at hold'])
      expect(late.every((event) => event.seq > (failure?.seq ?? Number.POSITIVE_INFINITY))).toBe(true)
      expect(late.every((event) => event.seq < report.seq)).toBe(true)
      const runnerSeqs = events
        .map((event) => event.metadata?.runner_seq)
        .filter((seq): seq is number => typeof seq === 'number')
      expect(runnerSeqs).toEqual(Array.from({ length: runnerSeqs.length }, (_, index) => index + 1))
      // The agent's last state, written while cut off, is the failed task's diff.
      const diff = await cluster.api('GET', `/tasks/${id}/diff`)
      expect(diff.body.files.map((file: { path: string }) => file.path).sort()).toEqual([
        'kept.txt',
        'late.txt',
      ])

      // Back for good: it takes the next run from the broker and runs it to review.
      const next = await cluster.startTask('echo back > back.txt', ['linux', 'island'])
      const done = await cluster.untilStatus(next, ['ready-for-review', 'failed'])
      expect(done.status).toBe('ready-for-review')
    }, 60_000)
  },
)
