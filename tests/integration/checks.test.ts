import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeRepo } from '../support/git-repo'
import { createShellTask, restartTestRuntime, startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

/**
 * Checks after an attempt with changes, in a real repository with real processes in the run's
 * sandbox: verdicts (passed, failed, timed out) with exit status, duration and output tail, the
 * output in the timeline tagged with its check, the `running.checks` phase, a re-run on request,
 * and the merge gate.
 */

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_PARTIAL_LINE_MS: '150' })
  repo = makeRepo(join(rt.dir, 'repo'))
})
afterAll(() => rt?.close())

const createShell = (command: string, extra: Record<string, unknown> = {}) =>
  createShellTask(rt, repo, command, extra)

const get = async (id: string) => (await rt.call('GET', `/tasks/${id}?events=all`)).body
const checksOf = async (id: string) => (await rt.call('GET', `/tasks/${id}/checks`)).body
const until = (id: string, wanted: (task: any) => boolean, what: string) =>
  waitFor(`task ${id}: ${what}`, async () => {
    const task = await get(id)
    return wanted(task) ? task : null
  })
const settled = (id: string) =>
  until(id, (task) => ['completed', 'ready-for-review', 'failed', 'stopped'].includes(task.status), 'settled')
const byCategory = (task: any, category: string) =>
  task.events.filter((event: any) => event.metadata?.category === category)

async function run(id: string) {
  const started = await rt.call('POST', `/tasks/${id}/start`)
  expect(started.body?.error ?? null).toBeNull()
  return settled(id)
}

describe('checks', () => {
  test('passed, failed and timed out: each verdict with exit status, duration and output, in the timeline under its check', async () => {
    const id = await createShell('echo made > added.txt', {
      checks: [
        { name: 'file exists', command: 'test -f added.txt && echo "found $(cat added.txt)"' },
        { name: 'lint', command: 'echo "lint: 2 problems" >&2; exit 3' },
        { name: 'slow', command: 'echo starting; sleep 30', timeout_seconds: 1 },
      ],
    })
    const task = await run(id)
    expect(task.status).toBe('ready-for-review')
    expect(task.phase).toBeNull()
    // The task said it was checking: running.checks, with the wire status `running`.
    const started = byCategory(task, 'checks-started')[0]
    expect(started.metadata).toMatchObject({ status: 'running', state: 'running.checks', from: 'running' })
    expect(started.metadata.checks).toEqual(['file exists', 'lint', 'slow'])

    const view = await checksOf(id)
    expect(view.phase).toBeNull()
    expect(view.runs).toHaveLength(1)
    const { latest } = view
    expect(latest).toMatchObject({ status: 'failed', trigger: 'attempt', fix_round: 0, fix_loop: null })
    expect(latest.attempt_id).toBe(task.current_attempt.id)
    const [exists, lint, slow] = latest.results
    expect(exists).toMatchObject({ name: 'file exists', verdict: 'passed', exit_status: 'exit status: 0' })
    expect(exists.output_tail).toBe('found made')
    expect(lint).toMatchObject({
      verdict: 'failed',
      exit_status: 'exit status: 3',
      output_tail: 'lint: 2 problems',
    })
    expect(slow).toMatchObject({ verdict: 'timed_out', timeout_seconds: 1, output_tail: 'starting' })
    expect(slow.exit_status).toStartWith('signal: ')
    expect(slow.duration_ms).toBeGreaterThanOrEqual(1000)
    for (const result of latest.results) expect(result.finished_at).toBeString()

    // Output streams into the timeline, tagged with its check and round.
    const output = byCategory(task, 'check-output')
    expect(output.map((event: any) => [event.kind, event.metadata.check, event.message])).toEqual([
      ['stdout', 'file exists', 'found made'],
      ['stderr', 'lint', 'lint: 2 problems'],
      ['stdout', 'slow', 'starting'],
    ])
    for (const event of output) {
      expect(event.metadata.check_run_id).toBe(latest.id)
      expect(event.attempt_id).toBe(task.current_attempt.id)
    }
    expect(byCategory(task, 'check-finished').map((event: any) => event.metadata.verdict)).toEqual([
      'passed',
      'failed',
      'timed_out',
    ])
    // The attempt's outcome names them.
    expect(task.current_attempt.summary).toContain('Checks not passed: lint, slow')
  })

  test('a check runs in the run’s sandbox: it cannot write outside the worktree', async () => {
    // Outside /tmp, which the sandbox replaces with a private one.
    const scratch = mkdtempSync('/var/tmp/openruntime-checks-')
    const outside = join(scratch, 'outside.txt')
    const id = await createShell('echo x > added.txt', {
      checks: [{ name: 'escape', command: `echo pwned > ${outside}` }],
    })
    await run(id)
    const [result] = (await checksOf(id)).latest.results
    expect(result.verdict).toBe('failed')
    expect(result.output_tail).toContain('Read-only file system')
    expect(existsSync(outside)).toBe(false)
    rmSync(scratch, { recursive: true, force: true })
  })

  test('no changes, no checks: an attempt without changes completes without running them', async () => {
    const id = await createShell('echo nothing', { checks: [{ name: 'never', command: 'exit 1' }] })
    expect((await run(id)).status).toBe('completed')
    expect((await checksOf(id)).runs).toEqual([])
  })

  test("the workspace's checks run for every task; a task check of the same name replaces it", async () => {
    const settings = await rt.call('POST', '/workspaces/settings', {
      path: repo,
      checks: [
        { name: 'shared', command: 'echo from the workspace' },
        { name: 'tests', command: 'exit 1' },
      ],
    })
    expect(settings.status).toBe(200)
    expect(settings.body.checks).toHaveLength(2)
    try {
      const id = await createShell('echo y > added.txt', {
        checks: [{ name: 'tests', command: 'echo own tests' }],
      })
      await run(id)
      const view = await checksOf(id)
      expect(view.checks.map((check: any) => [check.name, check.command])).toEqual([
        ['shared', 'echo from the workspace'],
        ['tests', 'echo own tests'],
      ])
      expect(view.latest.status).toBe('passed')
      expect(view.latest.results.map((result: any) => result.output_tail)).toEqual([
        'from the workspace',
        'own tests',
      ])
    } finally {
      await rt.call('POST', '/workspaces/settings', { path: repo, checks: [] })
    }
  })

  test('re-run on demand: refused (409) while the checks run, then a new round on the same attempt', async () => {
    const id = await createShell('echo z > added.txt', {
      checks: [{ name: 'waits', command: 'while [ ! -f go ]; do sleep 0.05; done; echo went' }],
    })
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    const checking = await until(id, (task) => task.phase === 'checks', 'checking')
    expect(checking).toMatchObject({ status: 'running', state: 'running.checks' })
    expect((await checksOf(id)).phase).toBe('checks')
    const refused = await rt.call('POST', `/tasks/${id}/checks/run`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.message).toContain('running.checks')
    writeFileSync(join(checking.worktree_path, 'go'), '')
    const done = await settled(id)
    expect(done.status).toBe('ready-for-review')

    const again = await rt.call('POST', `/tasks/${id}/checks/run`)
    expect(again.status).toBe(200)
    const rerun = await waitFor('the second round', async () => {
      const view = await checksOf(id)
      return view.runs.length === 2 && view.latest.status !== 'running' ? view : null
    })
    expect((await settled(id)).status).toBe('ready-for-review')
    expect(rerun.latest).toMatchObject({
      trigger: 'manual',
      status: 'passed',
      attempt_id: done.current_attempt.id,
    })
    expect(rerun.runs[1].id).not.toBe(rerun.latest.id)
  })

  test('re-run refused without checks (409) and for an unknown task (404)', async () => {
    const id = await createShell('echo w > added.txt')
    await run(id)
    const none = await rt.call('POST', `/tasks/${id}/checks/run`)
    expect(none.status).toBe(409)
    expect(none.body.error.code).toBe('no_checks')
    const unknown = await rt.call('GET', '/tasks/00000000-0000-4000-8000-000000000000/checks')
    expect(unknown.status).toBe(404)
  })

  test('stopping during the checks ends the task stopped, the check ended', async () => {
    const id = await createShell('echo s > added.txt', { checks: [{ name: 'forever', command: 'sleep 60' }] })
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    await until(
      id,
      (task) => task.phase === 'checks' && byCategory(task, 'check-started').length > 0,
      'checking',
    )
    expect((await rt.call('POST', `/tasks/${id}/stop`)).status).toBe(200)
    const task = await settled(id)
    expect(task.status).toBe('stopped')
    const { latest } = await checksOf(id)
    expect(latest.status).toBe('stopped')
    expect(latest.results[0].verdict).toBe('failed')
  })
})

describe('the merge gate', () => {
  test('require_checks refuses a merge naming the failed checks; a forced merge records who and why', async () => {
    const id = await createShell('echo gated > gated.txt', {
      policy: { require_checks: true },
      checks: [
        { name: 'unit', command: 'exit 1' },
        { name: 'types', command: 'true' },
      ],
    })
    await run(id)
    const refused = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('checks_not_passed')
    expect(refused.body.error.message).toContain('unit (failed)')
    expect(refused.body.error.message).not.toContain('types')
    expect(refused.body.error.details.checks).toEqual(['unit (failed)'])
    expect(existsSync(join(repo, 'gated.txt'))).toBe(false)

    const noReason = await rt.call('POST', `/tasks/${id}/worktree/merge`, { force: true, reason: '  ' })
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.message).toContain('reason')

    const forced = await rt.call('POST', `/tasks/${id}/worktree/merge`, {
      force: true,
      reason: 'the unit suite is flaky on this branch',
    })
    expect(forced.status).toBe(200)
    expect(existsSync(join(repo, 'gated.txt'))).toBe(true)
    const task = await get(id)
    expect(task.status).toBe('completed')
    const [event] = byCategory(task, 'merge-forced')
    expect(event.metadata).toMatchObject({
      forced_by: 'local user',
      reason: 'the unit suite is flaky on this branch',
      checks: ['unit (failed)'],
    })
    const records = rt.runtime.store.checks.forcedMerges(id)
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ forced_by: 'local user', failed_checks: ['unit (failed)'] })
  })

  test('with every check passed the gate lets the merge through, and nothing is recorded as forced', async () => {
    const id = await createShell('echo green > green.txt', {
      policy: { require_checks: true },
      checks: [{ name: 'unit', command: 'true' }],
    })
    await run(id)
    expect((await rt.call('POST', `/tasks/${id}/worktree/merge`, {})).status).toBe(200)
    expect(rt.runtime.store.checks.forcedMerges(id)).toEqual([])
  })

  test('a task that never ran checks does not pass the gate', async () => {
    const id = await createShell('echo none > none.txt', { policy: { require_checks: true } })
    await run(id)
    const refused = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(refused.status).toBe(409)
    expect(refused.body.error.message).toContain('no checks ran')
  })
})

describe('bad input', () => {
  const bad = async (body: Record<string, unknown>, field: string) => {
    const created = await rt.call('POST', '/tasks', {
      title: 't',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      ...body,
    })
    expect(created.status).toBe(400)
    expect(created.body.error.message).toContain(field)
  }
  test('checks, criteria and the new policy fields are checked as sent', async () => {
    await bad({ checks: [{ name: 'x', command: 'true', extra: 1 }] }, 'extra')
    await bad({ checks: [{ name: '', command: 'true' }] }, 'name')
    await bad({ checks: [{ name: 'x', command: 'true', timeout_seconds: 0 }] }, 'timeout_seconds')
    await bad({ checks: [{ name: 'x' }] }, 'command')
    await bad({ criteria: ['   '] }, 'criteria')
    await bad({ policy: { fix_rounds: 11 } }, 'fix_rounds')
    await bad({ policy: { fix_rounds: 1.5 } }, 'fix_rounds')
    await bad({ policy: { require_checks: 'yes' } }, 'require_checks')
    const settings = await rt.call('POST', '/workspaces/settings', {
      path: repo,
      checks: [{ name: 'x', command: '' }],
    })
    expect(settings.status).toBe(400)
    const merge = await rt.call('POST', '/tasks/00000000-0000-4000-8000-000000000000/worktree/merge', {
      force: 'yes',
    })
    expect(merge.status).toBe(400)
  })
})

describe('in the web UI', () => {
  test('the review page shows each verdict with its output and the gate; the roster shows the round in brief', async () => {
    const id = await createShell('echo ui > ui.txt', {
      policy: { require_checks: true },
      checks: [
        { name: 'unit "tests"', command: 'printf "<b>boom</b>\\a\\n"; exit 2' },
        { name: 'types', command: 'true' },
      ],
    })
    await run(id)
    const review = await (await rt.handle(`/tasks/${id}/review`)).text()
    const panel = review.slice(
      review.indexOf('id="checks"'),
      review.indexOf('</section>', review.indexOf('id="checks"')),
    )
    expect(panel).toContain('data-checks="failed"')
    expect(panel).toContain('data-check="unit &#34;tests&#34;" data-verdict="failed"')
    expect(panel).toContain('data-check="types" data-verdict="passed"')
    expect(panel).toContain('exit status: 2')
    // The check's output is shown as text, never as markup.
    // A control character shows as its picture.
    expect(panel).toContain('&lt;b&gt;boom&lt;/b&gt;␇')
    expect(panel).not.toContain('<b>boom</b>')
    expect(panel).toContain('Run checks again')
    // The gate is closed: the merge form offers the forced merge, with its reason.
    expect(review).toContain('Merge although the checks did not pass')
    expect(review).toContain('name="reason"')

    const roster = await (await rt.handle('/')).text()
    const entry = roster.slice(
      roster.indexOf(`data-task-id="${id}"`),
      roster.indexOf('</a>', roster.indexOf(`data-task-id="${id}"`)),
    )
    expect(entry).toContain('data-checks="failed"')
    expect(entry).toContain('checks 1/2')
    expect((await get(id)).check_summary).toEqual({
      status: 'failed',
      passed: 1,
      total: 2,
      met: 0,
      graded: 0,
      fix_round: 0,
      fix_loop: null,
    })
  })
})

describe('a restart', () => {
  test('a round the server was running when it went down ends stopped, and so does its task', async () => {
    const id = await createShell('echo r > restart.txt', {
      checks: [{ name: 'forever', command: 'sleep 60' }],
    })
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    await until(id, (task) => byCategory(task, 'check-started').length > 0, 'checking')
    rt = await restartTestRuntime(rt)
    const task = await settled(id)
    expect(task.status).toBe('stopped')
    const { latest } = await checksOf(id)
    expect(latest.status).toBe('stopped')
    expect(latest.finished_at).toBeString()
  })
})
