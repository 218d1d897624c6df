import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/process/process-group'
import { makeRepo } from '../support/git-repo'
import { createShellTask, startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '2', OPENRUNTIME_PARTIAL_LINE_MS: '150' })
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const createShell = (command: string, extra: Record<string, unknown> = {}) =>
  createShellTask(rt, repo, command, extra)

// Full access runs outside the sandbox: the queue and process-group tests below coordinate through
// files in the test's /tmp and look at host pids, which a sandbox (private /tmp, own pid namespace)
// hides. The sandbox itself is tested in tests/runners.
const UNSANDBOXED = {
  policy: { network_mode: 'enabled', allow_git_write: true, allow_secrets: true, blocked_commands: [] },
}

const status = async (id: string) => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status as string
const settled = (id: string) =>
  waitFor(
    `task ${id} to settle`,
    async () => {
      const s = await status(id)
      return ['completed', 'ready-for-review', 'failed', 'stopped'].includes(s) ? s : null
    },
    60_000,
  )

describe('task runs', () => {
  test('exit 0 without changes → completed; with changes → ready-for-review; non-zero → failed', async () => {
    const clean = await createShell('echo hello')
    const changing = await createShell('echo new > added.txt && echo changed >> README.md')
    const failing = await createShell('echo oops >&2; exit 7')
    for (const id of [clean, changing, failing])
      expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    expect(await settled(clean)).toBe('completed')
    expect(await settled(changing)).toBe('ready-for-review')
    expect(await settled(failing)).toBe('failed')

    const done = (await rt.call('GET', `/tasks/${changing}?events=all`)).body
    expect(done.worktree_path).toBe(join(repo, '.openruntime', 'worktrees', changing))
    expect(readFileSync(join(done.worktree_path, 'added.txt'), 'utf8')).toBe('new\n')
    // The user's checkout is untouched: the run happened in its own worktree.
    expect(existsSync(join(repo, 'added.txt'))).toBe(false)
    expect(done.diff_stat).toContain('added.txt')
    expect(done.events.some((e: any) => e.kind === 'diff' && e.message.includes('README.md'))).toBe(true)
    expect(done.current_attempt).toMatchObject({
      attempt_number: 1,
      status: 'completed',
      exit_status: 'exit status: 0',
    })

    const failed = (await rt.call('GET', `/tasks/${failing}?events=all`)).body
    expect(failed.current_attempt).toMatchObject({ status: 'failed', exit_status: 'exit status: 7' })
    expect(failed.events.some((e: any) => e.kind === 'stderr' && e.message === 'oops')).toBe(true)
    const seqs = failed.events.map((e: any) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => a - b))
  })

  test('tasks wait in queued while every slot is busy and start in FIFO order when one frees', async () => {
    const gate = join(rt.dir, 'gates')
    mkdirSync(gate)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(
        await createShell(
          `echo ${i} >> ${gate}/order; while [ ! -f ${gate}/release-${i} ]; do sleep 0.02; done`,
          UNSANDBOXED,
        ),
      )
    }
    for (const id of ids) expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    await waitFor('two tasks running', async () => (await status(ids[1] as string)) === 'running')
    expect(await status(ids[0] as string)).toBe('running')
    for (const id of ids.slice(2)) expect(await status(id)).toBe('queued')
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(gate, `release-${i}`), '')
      await settled(ids[i] as string)
      const running = await Promise.all(ids.map(status))
      expect(running.filter((s) => s === 'running').length).toBeLessThanOrEqual(2)
    }
    // The first two share the two slots (which of them prints first is up to the scheduler);
    // every later one starts only when the one before it freed a slot.
    const order = readFileSync(join(gate, 'order'), 'utf8').trim().split('\n')
    expect(order.slice(0, 2).sort()).toEqual(['0', '1'])
    expect(order.slice(2)).toEqual(['2', '3', '4'])
  })

  test('an action the state does not accept is refused, names state and action, and changes nothing', async () => {
    const id = await createShell('echo once')
    const stopDraft = await rt.call('POST', `/tasks/${id}/reply`, { message: 'hi' })
    expect(stopDraft.status).toBe(409)
    await rt.call('POST', `/tasks/${id}/start`)
    await settled(id)
    const before = (await rt.call('GET', `/tasks/${id}?events=all`)).body
    const refused = await rt.call('POST', `/tasks/${id}/stop`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('invalid_transition')
    expect(refused.body.error.message).toContain('stop')
    expect(refused.body.error.message).toContain('completed')
    const after = (await rt.call('GET', `/tasks/${id}?events=all`)).body
    expect(after.status).toBe(before.status)
    expect(after.last_seq).toBe(before.last_seq)
  })

  test('stop ends the whole process group: no grandchild survives', async () => {
    const id = await createShell('sleep 1000 & echo $!; wait', UNSANDBOXED)
    await rt.call('POST', `/tasks/${id}/start`)
    const pidEvent = await waitFor('the grandchild pid', async () =>
      (await rt.call('GET', `/tasks/${id}?events=all`)).body.events.find((e: any) => e.kind === 'stdout'),
    )
    const pid = Number(pidEvent.message)
    expect(processLiving(pid)).toBe(true)
    const stopped = await rt.call('POST', `/tasks/${id}/stop`)
    expect(stopped.status).toBe(200)
    expect(stopped.body.status).toBe('stopped')
    expect(processLiving(pid)).toBe(false)
    expect(stopped.body.current_attempt).toMatchObject({ status: 'stopped', summary: 'Stopped by the user' })
    const last = stopped.body.events.findLast((e: any) => e.kind === 'lifecycle')
    expect(last.metadata).toMatchObject({ category: 'attempt-stopped', reason: 'user', status: 'stopped' })
  })

  test('the runtime budget stops a run and records why', async () => {
    const id = await createShell('sleep 1000', { budget_minutes: 0.05 })
    await rt.call('POST', `/tasks/${id}/start`)
    expect(await settled(id)).toBe('stopped')
    const task = (await rt.call('GET', `/tasks/${id}?events=all`)).body
    const stop = task.events.findLast((e: any) => e.metadata?.category === 'attempt-stopped')
    expect(stop.metadata.reason).toBe('budget-exceeded')
    expect(task.current_attempt.summary).toContain('exceeded budget')
    expect(task.cost_ledger.runtime_millis).toBeGreaterThan(0)
  })

  test('a prompt waiting for input moves the task to needs-input; a reply goes to stdin and the run continues', async () => {
    const id = await createShell('printf "Your name? "; read name; echo "hello $name"')
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor('needs-input', async () => (await status(id)) === 'needs-input')
    const waiting = (await rt.call('GET', `/tasks/${id}?events=all`)).body
    expect(waiting.events.some((e: any) => e.kind === 'stdout' && e.message === 'Your name? ')).toBe(true)
    expect(waiting.current_attempt.status).toBe('needs-input')
    const replied = await rt.call('POST', `/tasks/${id}/reply`, { message: 'Ada' })
    expect(replied.status).toBe(200)
    expect(await settled(id)).toBe('completed')
    const done = (await rt.call('GET', `/tasks/${id}?events=all`)).body
    expect(done.events.some((e: any) => e.kind === 'input' && e.message === 'User reply: Ada')).toBe(true)
    expect(done.events.some((e: any) => e.kind === 'stdout' && e.message === 'hello Ada')).toBe(true)
  })

  test('restart creates a new attempt in the same worktree', async () => {
    const id = await createShell('echo run >> runs.txt')
    await rt.call('POST', `/tasks/${id}/start`)
    expect(await settled(id)).toBe('ready-for-review')
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor(
      'second attempt',
      async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.attempts.length === 2,
    )
    expect(await settled(id)).toBe('ready-for-review')
    const task = (await rt.call('GET', `/tasks/${id}?events=none`)).body
    expect(task.attempts.map((a: any) => a.attempt_number)).toEqual([1, 2])
    expect(readFileSync(join(task.worktree_path, 'runs.txt'), 'utf8')).toBe('run\nrun\n')
  })
})
