import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { claudeAgainst } from '../agents/harness'
import { type ModelServer, startModelServer } from '../support/model-server'
import { RunnerCluster, type TaskEvent } from '../support/runner-cluster'

/**
 * A follow-up whose runner host no longer holds the task's worktree (the host was killed, or came
 * back with an empty directory) continues from the last snapshot the control plane has, on a live
 * host that can serve the task; while the host holding the worktree is live, it goes there. Real
 * processes throughout: control plane, bunqueue, runner hosts, the pinned `claude` CLI against
 * the scripted model server.
 */

const LABELS = ['agents']
let cluster: RunnerCluster
let model: ModelServer

/** A host with Claude Code configured from its own environment, as an operator would set it. */
async function addAgentHost(name: string) {
  mkdirSync(join(cluster.dir.path, name, 'home', '.claude'), { recursive: true })
  await cluster.addHost(name, LABELS, {
    env: {
      ...claudeAgainst(model),
      OPENRUNTIME_RUNNER_SNAPSHOT_MS: '200',
    },
  })
}

async function startAgentTask(prompt: string): Promise<string> {
  const created = await cluster.api('POST', '/tasks', {
    title: 'follow-up from a snapshot',
    prompt,
    runner: 'claude-code',
    workspace: cluster.repo,
    runner_labels: LABELS,
  })
  expect(created.status).toBe(200)
  expect((await cluster.api('POST', `/tasks/${created.body.id}/start`)).status).toBe(200)
  return created.body.id
}

/** The task once its `attempts`-th attempt has finished. */
const untilAttempt = (id: string, attempts: number) =>
  cluster.until(
    `task ${id}: attempt ${attempts} to finish`,
    async () => {
      const current = await cluster.task(id)
      return current.attempts?.length === attempts && current.attempts.at(-1).finished_at !== null
        ? current
        : null
    },
    90_000,
  )

/** The reply, then the task once the follow-up's attempt (its `attempts`-th) has finished. */
async function followUp(id: string, prompt: string, attempts: number) {
  const replied = await cluster.api('POST', `/tasks/${id}/reply`, { message: prompt })
  expect(replied.status).toBe(200)
  return untilAttempt(id, attempts)
}

const diffOf = async (id: string) => (await cluster.api('GET', `/tasks/${id}/diff`)).body

const continuedEvents = async (id: string): Promise<TaskEvent[]> =>
  (await cluster.events(id)).filter((event) => event.metadata?.category === 'continued-from-snapshot')

async function killHost(name: string) {
  await cluster.host(name).kill('SIGKILL')
  await cluster.untilHost(name, 'lost')
}

beforeAll(async () => {
  model = startModelServer()
  cluster = await RunnerCluster.start({ leaseMs: 3000 })
  await addAgentHost('host-a')
})

afterAll(async () => {
  await cluster?.close()
  await model?.stop()
})

describe('a follow-up whose host lost the worktree', () => {
  test('goes to the live host holding the worktree; once that host is killed, continues on another host from the last snapshot', async () => {
    const id = await startAgentTask('SCRIPT:write-file first.txt from host a')
    expect((await cluster.untilStatus(id, ['ready-for-review', 'failed', 'completed'])).status).toBe(
      'ready-for-review',
    )
    await addAgentHost('host-b')

    // host-a is live and holds the worktree (and the session): the follow-up goes there.
    const pinned = await followUp(id, 'SCRIPT:write-file second.txt again on a', 2)
    expect(pinned.status).toBe('ready-for-review')
    expect(pinned.attempts.map((attempt: any) => attempt.runner_host)).toEqual(['host-a', 'host-a'])
    expect(pinned.attempts[1].runner_session_id).toBe(pinned.attempts[0].runner_session_id)
    expect(await continuedEvents(id)).toEqual([])
    const snapshot = (await diffOf(id)).snapshot
    expect(snapshot.attempt_id).toBe(pinned.attempts[1].id)

    await killHost('host-a')
    const moved = await followUp(id, 'SCRIPT:write-file third.txt on b', 3)
    expect(moved.status).toBe('ready-for-review')
    expect(moved.attempts.map((attempt: any) => attempt.runner_host)).toEqual(['host-a', 'host-a', 'host-b'])
    const worktree = join(cluster.host('host-b').dir, 'worktrees', id)
    expect(readFileSync(join(worktree, 'first.txt'), 'utf8')).toBe('from host a\n')
    expect(readFileSync(join(worktree, 'second.txt'), 'utf8')).toBe('again on a\n')
    const diff = await diffOf(id)
    expect(diff.files.map((file: any) => file.path).sort()).toEqual(['first.txt', 'second.txt', 'third.txt'])
    expect(diff.snapshot.attempt_id).toBe(moved.attempts[2].id)

    const [continued, ...more] = await continuedEvents(id)
    expect(more).toEqual([])
    expect(continued?.attempt_id).toBe(moved.attempts[2].id)
    expect(continued?.message).toContain(`continued from snapshot ${snapshot.commit} on runner host host-b`)
    expect(continued?.metadata).toMatchObject({
      snapshot_commit: snapshot.commit,
      from_attempt_id: snapshot.attempt_id,
      runner_host: 'host-b',
    })
    // The session stayed on host-a: a new one began on host-b, and the task says so.
    const events = await cluster.events(id)
    const fresh = events.filter((event) => event.metadata?.category === 'session-not-continued')
    expect(fresh.map((event) => event.attempt_id)).toEqual([moved.attempts[2].id])
    expect(moved.attempts[2].runner_session_id).toBeString()
    expect(moved.attempts[2].runner_session_id).not.toBe(pinned.attempts[1].runner_session_id)
    // The new session is told the reply first (the script it runs) and the task's goal after it.
    const told = model.requests.map((request) => request.conversation?.prompt ?? '')
    const freshPrompt = told.find((prompt) => prompt.startsWith('SCRIPT:write-file third.txt on b'))
    expect(freshPrompt).toContain('The task as first asked:)\n\nSCRIPT:write-file first.txt from host a')
    // A follow-up that continued its session was told the reply alone: the session had the rest.
    expect(told).toContain('SCRIPT:write-file second.txt again on a')
  }, 300_000)

  test('waits queued saying why while no host is live, then continues from the snapshot on its host back with an empty directory', async () => {
    // host-a was killed above: host-b is the only live host.
    const id = await startAgentTask('SCRIPT:write-file kept.txt before the wipe')
    const reviewed = await cluster.untilStatus(id, ['ready-for-review', 'failed', 'completed'])
    expect(reviewed.status).toBe('ready-for-review')
    const snapshot = (await diffOf(id)).snapshot

    await killHost('host-b')
    const hostDir = cluster.host('host-b').dir
    rmSync(hostDir, { recursive: true, force: true })
    const replied = await cluster.api('POST', `/tasks/${id}/reply`, {
      message: 'SCRIPT:write-file after.txt after the wipe',
    })
    expect(replied.status).toBe(200)
    const waiting = await cluster.untilEvent(
      id,
      'the follow-up waiting for a host',
      (event) => event.metadata?.category === 'waiting-for-host',
    )
    expect(waiting.message).toContain('no runner host is live')
    expect((await cluster.task(id)).status).toBe('queued')

    await cluster.restartHost('host-b')
    const followed = await untilAttempt(id, 2)
    expect(followed.status).toBe('ready-for-review')
    expect(followed.attempts.map((attempt: any) => attempt.runner_host)).toEqual(['host-b', 'host-b'])
    expect(existsSync(join(hostDir, 'worktrees', id, 'kept.txt'))).toBe(true)
    const diff = await diffOf(id)
    expect(diff.files.map((file: any) => file.path).sort()).toEqual(['after.txt', 'kept.txt'])
    const [continued] = await continuedEvents(id)
    expect(continued?.message).toContain(`continued from snapshot ${snapshot.commit} on runner host host-b`)
  }, 300_000)

  test('placed on its live host, which is then lost before taking it: goes to another host', async () => {
    // host-b is the only live host: the task runs there.
    const id = await startAgentTask('SCRIPT:write-file pinned.txt on b')
    expect((await cluster.untilStatus(id, ['ready-for-review', 'failed', 'completed'])).status).toBe(
      'ready-for-review',
    )
    // host-b's two slots taken, the follow-up placed on it waits in its queue.
    const busy = [await cluster.startTask('sleep 300', LABELS), await cluster.startTask('sleep 300', LABELS)]
    for (const task of busy) expect((await cluster.untilStatus(task, ['running'])).status).toBe('running')
    await addAgentHost('host-c')
    const replied = await cluster.api('POST', `/tasks/${id}/reply`, {
      message: 'SCRIPT:write-file moved.txt on c',
    })
    expect(replied.status).toBe(200)
    expect((await cluster.task(id)).status).toBe('queued')

    await killHost('host-b')
    const moved = await untilAttempt(id, 2)
    expect(moved.status).toBe('ready-for-review')
    expect(moved.attempts.map((attempt: any) => attempt.runner_host)).toEqual(['host-b', 'host-c'])
    const diff = await diffOf(id)
    expect(diff.files.map((file: any) => file.path).sort()).toEqual(['moved.txt', 'pinned.txt'])
    expect((await continuedEvents(id)).map((event) => event.metadata?.runner_host)).toEqual(['host-c'])
    for (const task of busy) expect((await cluster.task(task)).status).toBe('failed')
  }, 300_000)
})
