import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/process/process-group'
import { gate, openGate, RunnerCluster, UNCONTAINED } from '../support/runner-cluster'
import { overHttp, SHELL_HOST } from './runner-client'

let cluster: RunnerCluster

beforeAll(async () => {
  cluster = await RunnerCluster.start({ leaseMs: 4000 })
  await cluster.addHost('host-a', ['linux', 'pair', 'a'])
  await cluster.addHost('host-b', ['linux', 'pair', 'b'])
  await cluster.addHost('bare', ['linux', 'bare'], { env: UNCONTAINED })
})

afterAll(async () => {
  await cluster?.close()
})

const spoolOf = (host: string) => join(cluster.host(host).dir, 'private', 'spool')

describe('a runner host that dies', () => {
  test('kill -9 mid-run: its run fails "runner host <name> lost" once its lease ends, nothing is re-run, and a run on the other host goes on to review', async () => {
    // Either host of the pair may take the first; the second goes to the other one.
    const first = await cluster.startTask(gate('hold'), ['linux', 'pair'])
    await cluster.untilEvent(first, 'at its gate', (event) => event.message === 'at hold')
    const victim = await cluster.placement(first)
    const survivor = victim.host === 'host-a' ? 'host-b' : 'host-a'
    const second = await cluster.startTask(`${gate('go')} && echo done > out.txt`, [
      'linux',
      survivor.slice(-1),
    ])
    await cluster.untilEvent(second, 'at its gate', (event) => event.message === 'at go')
    const other = await cluster.placement(second)
    expect(other.host).toBe(survivor)

    await cluster.host(victim.host).kill('SIGKILL')
    const failed = await cluster.untilStatus(first, ['failed', 'ready-for-review', 'stopped'])
    expect(failed.status).toBe('failed')
    expect(failed.current_attempt.summary).toBe(`runner host ${victim.host} lost`)
    await cluster.untilHost(victim.host, 'lost')

    await openGate(other.worktree, 'go')
    const done = await cluster.untilStatus(second, ['ready-for-review', 'failed'])
    expect(done.status).toBe('ready-for-review')
    const diff = await cluster.api('GET', `/tasks/${second}/diff`)
    expect(diff.body.files.map((file: { path: string }) => file.path)).toEqual(['out.txt'])

    // Nothing ran it again: one attempt, on the host that died, and no other host claimed it.
    const after = await cluster.task(first)
    expect(after.status).toBe('failed')
    expect(after.attempts).toHaveLength(1)
    const events = await cluster.events(first)
    expect(events.filter((event) => event.metadata?.category === 'attempt-started')).toHaveLength(1)
    expect(events.some((event) => event.metadata?.runner_host === survivor)).toBe(false)
  }, 90_000)

  test('a host that comes back after its lease ends the run it left behind (its whole process group) and reports it; nothing stays running', async () => {
    // No sandbox and no cgroup on this host: nothing but the host ends what its run started.
    const id = await cluster.startTask(
      `tail -f /dev/null & child=$!; echo "$$ $child" > .pids; ${gate('never')}; wait`,
      ['linux', 'bare'],
    )
    await cluster.untilEvent(id, 'at its gate', (event) => event.message === 'at never')
    const { worktree, attemptId } = await cluster.placement(id)
    const pids = readFileSync(join(worktree, '.pids'), 'utf8').trim().split(' ').map(Number)
    expect(pids).toHaveLength(2)

    await cluster.host('bare').kill('SIGKILL')
    // The run outlived its host: only the host can end it.
    for (const pid of pids) expect(processLiving(pid)).toBe(true)
    const failed = await cluster.untilStatus(id, ['failed'])
    expect(failed.current_attempt.summary).toBe('runner host bare lost')
    for (const pid of pids) expect(processLiving(pid)).toBe(true)

    await cluster.restartHost('bare')
    await cluster.until('the left-over processes to be gone', () => pids.every((pid) => !processLiving(pid)))
    const report = await cluster.untilEvent(
      id,
      'the late report of the host',
      (event) => event.metadata?.category === 'late-report',
    )
    expect(report.message).toContain('Runner host bare reported after the attempt had ended')
    expect(report.message).toContain(`ended the run's processes (group ${pids[0]})`)
    // Delivered: nothing of the attempt is left in the spool.
    await cluster.until('the spool to be empty', () =>
      readdirSync(spoolOf('bare')).every((name) => !name.startsWith(attemptId)),
    )
    const after = await cluster.task(id)
    expect(after.status).toBe('failed')
    expect(after.attempts).toHaveLength(1)
    const hosts = (await cluster.api('GET', '/runner-hosts')).body as {
      name: string
      running_attempts: unknown[]
    }[]
    expect(hosts.find((host) => host.name === 'bare')?.running_attempts).toEqual([])
  }, 90_000)

  test('a host restarted within its lease fails at once what its previous process held, a claim it never started included', async () => {
    // The first test may have killed this one.
    if (cluster.host('host-b').proc.signalCode !== null) await cluster.restartHost('host-b')
    // A claim the host made just before it died, with no spool behind it: the protocol's own request.
    const spec = cluster.spec('host-b')
    const client = overHttp(() => cluster.server.url)
    const registered = await client.call(
      'POST',
      '/runner/v1/register',
      { ...SHELL_HOST, labels: ['linux', 'pair', 'b', 'claimed'] },
      spec.token,
    )
    expect(registered.status).toBe(200)
    const id = await cluster.startTask('true', ['linux', 'claimed'])
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: id, run: 1 }, spec.token)
    expect(claim.status).toBe(200)
    expect((await cluster.task(id)).status).toBe('running')
    // And a run it had started, whose spool the new process finds.
    const started = await cluster.startTask(gate('never'), ['linux', 'b'])
    await cluster.untilEvent(started, 'at its gate', (event) => event.message === 'at never')

    // The lease is kept (as the old process would have) until the new process registers, however
    // slowly it starts: what fails the claim is the new process, not the lease.
    let keeping = true
    const keeper = (async () => {
      while (keeping) {
        await client.call(
          'POST',
          '/runner/v1/heartbeat',
          { slots_in_use: 1, attempts: [claim.body.attempt_id] },
          spec.token,
        )
        await Bun.sleep(200)
      }
    })()
    await cluster.host('host-b').kill('SIGKILL')
    await cluster.restartHost('host-b')
    const failed = await cluster.untilStatus(id, ['failed'])
    keeping = false
    await keeper
    expect(failed.current_attempt.summary).toBe('runner host host-b restarted')
    expect(failed.attempts).toHaveLength(1)
    // Its sandbox ended with the process that ran it; the new one says so from the spool.
    const gone = await cluster.untilStatus(started, ['failed'])
    expect(gone.current_attempt.summary).toBe('the runner host restarted while it ran; the run is gone')
    expect(gone.attempts).toHaveLength(1)
    expect(existsSync(join(spoolOf('host-b'), `${claim.body.attempt_id}.events`))).toBe(false)
  }, 60_000)

  test('a claim whose answer never reached its host (the host heartbeats without it) fails a lease later; nothing waits for it', async () => {
    const host = cluster.host('host-a')
    if (host.proc.signalCode !== null) await cluster.restartHost('host-a')
    const spec = cluster.spec('host-a')
    const client = overHttp(() => cluster.server.url)
    const registered = await client.call(
      'POST',
      '/runner/v1/register',
      { ...SHELL_HOST, labels: ['linux', 'pair', 'a', 'unanswered'] },
      spec.token,
    )
    expect(registered.status).toBe(200)
    const id = await cluster.startTask('true', ['linux', 'unanswered'])
    // Claimed with the host's token, but the host's process never hears of it.
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: id, run: 1 }, spec.token)
    expect(claim.status).toBe(200)
    const failed = await cluster.untilStatus(id, ['failed'])
    expect(failed.current_attempt.summary).toBe('runner host host-a does not hold it')
    expect(failed.attempts).toHaveLength(1)
    // The host itself is fine.
    await cluster.untilHost('host-a', 'online')
  }, 60_000)
})
