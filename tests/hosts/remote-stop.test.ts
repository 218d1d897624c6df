import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/process/process-group'
import { processesMentioning } from '../support/processes'
import { gate, RunnerCluster, UNCONTAINED } from '../support/runner-cluster'

let cluster: RunnerCluster

beforeAll(async () => {
  cluster = await RunnerCluster.start({ leaseMs: 5000 })
  await cluster.addHost('bare', ['linux', 'bare'], { env: UNCONTAINED })
  await cluster.addHost('boxed', ['linux', 'boxed'])
})

afterAll(async () => {
  await cluster?.close()
})

/** Stops the task twice over (a double click): it ends `stopped`, with one outcome. */
async function stopTwice(id: string) {
  const [first, second] = await Promise.all([
    cluster.api('POST', `/tasks/${id}/stop`),
    cluster.api('POST', `/tasks/${id}/stop`),
  ])
  expect(first.status).toBe(200)
  expect([200, 409]).toContain(second.status)
  const stopped = await cluster.untilStatus(id, ['stopped', 'failed', 'ready-for-review'])
  expect(stopped.status).toBe('stopped')
  expect(stopped.attempts).toHaveLength(1)
  expect(stopped.current_attempt.summary).toBe('Stopped by the user')
  const events = await cluster.events(id)
  expect(events.filter((event) => event.metadata?.category === 'attempt-stopped')).toHaveLength(1)
  expect((await cluster.api('POST', `/tasks/${id}/stop`)).status).toBe(409)
  return events
}

describe('stop of a remote run', () => {
  test('ends its whole process group on the host (background children included) without a sandbox or cgroup to help', async () => {
    const id = await cluster.startTask(
      'tail -f /dev/null & a=$!; (tail -f /dev/null; true) & b=$!; ' +
        `echo "$$ $a $b" > .pids; ${gate('never')}; wait`,
      ['linux', 'bare'],
    )
    await cluster.untilEvent(id, 'at its gate', (event) => event.message === 'at never')
    const { worktree } = await cluster.placement(id)
    const pids = readFileSync(join(worktree, '.pids'), 'utf8').trim().split(' ').map(Number)
    expect(pids).toHaveLength(3)
    for (const pid of pids) expect(processLiving(pid)).toBe(true)

    await stopTwice(id)
    for (const pid of pids) expect(processLiving(pid)).toBe(false)
  }, 60_000)

  test('in the sandbox, a child that left the process group (setsid) ends too', async () => {
    const suffix = crypto.randomUUID()
    const marker = `stop-marker-${suffix}`
    // Split in the command, so only the children's own command lines carry it whole.
    const name = `"stop-"marker-${suffix}`
    const id = await cluster.startTask(
      `setsid sh -c 'tail -f /dev/null; true' ${name} & sh -c 'tail -f /dev/null; true' ${name} & ${gate('never')}; wait`,
      ['linux', 'boxed'],
    )
    await cluster.untilEvent(id, 'at its gate', (event) => event.message === 'at never')
    const running = processesMentioning(marker)
    expect(running).toHaveLength(2)

    await stopTwice(id)
    await cluster.until('every process of the run to be gone', () =>
      running.every((pid) => !processLiving(pid)),
    )
    expect(processesMentioning(marker)).toEqual([])
  }, 60_000)
})
