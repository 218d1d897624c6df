import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/workers/process-group'
import { makeRepo } from '../support/git-repo'
import { api, serverRefusal, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

const dir = tempDir()
afterAll(() => dir.cleanup())

test('after SIGKILL of the server: acknowledged events kept, running runs stopped and killed, queued ones run, one server per data dir', async () => {
  const env = {
    OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3'),
    OPENRUNTIME_MAX_PARALLEL: '2',
    OPENRUNTIME_STOP_GRACE_MS: '500',
  }
  const repo = makeRepo(join(dir.path, 'repo'))
  const first = await spawnServer(env)
  const pidFile = (i: number) => join(dir.path, `pid-${i}`)
  const ids: string[] = []
  // Two runs that print continuously and leave a grandchild behind, then one that waits in the queue.
  // They run with full access, outside the sandbox: a sandboxed run dies with the server
  // (bubblewrap's --die-with-parent), so only unsandboxed groups can be orphaned.
  for (let i = 0; i < 2; i++) {
    const command = `sleep 1000 & echo $! > ${pidFile(i)}; n=0; while true; do n=$((n+1)); echo "tick $n"; sleep 0.01; done`
    const created = await api(first.url, 'POST', '/tasks', {
      title: `streamer ${i}`,
      prompt: '',
      runner: 'shell',
      command,
      workspace: repo,
      policy: { network_mode: 'enabled', allow_git_write: true, allow_secrets: true, blocked_commands: [] },
    })
    ids.push(created.body.id)
  }
  const queuedTask = await api(first.url, 'POST', '/tasks', {
    title: 'queued',
    prompt: '',
    runner: 'shell',
    command: 'echo ran after restart',
    workspace: repo,
  })
  for (const id of [...ids, queuedTask.body.id])
    expect((await api(first.url, 'POST', `/tasks/${id}/start`)).status).toBe(200)

  // What a client has seen before the crash is "acknowledged".
  const acknowledged = await waitFor('both runs to stream', async () => {
    const seen = await Promise.all(
      ids.map(async (id) => (await api(first.url, 'GET', `/tasks/${id}?events=all`)).body),
    )
    return seen.every((task) => task.events.filter((e: any) => e.kind === 'stdout').length >= 20)
      ? seen
      : null
  })
  expect((await api(first.url, 'GET', `/tasks/${queuedTask.body.id}?events=none`)).body.status).toBe('queued')
  const grandchildren = ids.map((_, i) => Number(readFileSync(pidFile(i), 'utf8')))
  const leaders = acknowledged.map((task) => task.current_attempt.id)
  expect(leaders.length).toBe(2)
  for (const pid of grandchildren) expect(processLiving(pid)).toBe(true)

  await first.kill('SIGKILL')

  const second = await spawnServer(env)
  try {
    for (const [index, id] of ids.entries()) {
      const task = (await api(second.url, 'GET', `/tasks/${id}?events=all`)).body
      expect(task.status).toBe('stopped')
      const stored = new Map(task.events.map((e: any) => [e.seq, e.message]))
      for (const event of acknowledged[index].events) expect(stored.get(event.seq)).toBe(event.message)
      const recovery = task.events.findLast((e: any) => e.metadata?.category === 'attempt-stopped')
      expect(recovery.metadata.reason).toBe('server-restarted')
      expect(recovery.message).toContain('restarted')
      expect(task.current_attempt.status).toBe('stopped')
    }
    for (const pid of grandchildren) expect(processLiving(pid)).toBe(false)

    const ran = await waitFor('the queued task to run after the restart', async () => {
      const task = (await api(second.url, 'GET', `/tasks/${queuedTask.body.id}?events=all`)).body
      return task.status === 'completed' ? task : null
    })
    expect(ran.events.some((e: any) => e.kind === 'stdout' && e.message === 'ran after restart')).toBe(true)

    const refusal = await serverRefusal(env)
    expect(refusal.code).toBe(1)
    expect(refusal.output).toContain('already using this data directory')
    expect((await api(second.url, 'GET', '/health')).status).toBe(200)
  } finally {
    await second.kill('SIGTERM')
  }
}, 90_000)
