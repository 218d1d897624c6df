import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { type RosterTask, TASK_STATUSES, type TaskView } from '../../src/domain'
import { shortDiffStat } from '../../src/views/roster-progress'
import { progressSteps } from '../../src/views/run-progress'
import { TaskDetails } from '../../src/views/task-details'
import { type RosterGroupId, RosterGroups, rosterGroup } from '../../src/views/task-list'
import { UsageMeters, usageGauges } from '../../src/views/usage-meters'
import { makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

let rt: TestRuntime
let base: TaskView
let baseEntry: RosterTask

beforeAll(async () => {
  rt = await startTestRuntime()
  const repo = makeRepo(join(rt.dir, 'repo'))
  const created = await rt.call('POST', '/tasks', {
    title: 'base',
    prompt: '',
    runner: 'shell',
    command: 'true',
    workspace: repo,
  })
  base = (await rt.call('GET', `/tasks/${created.body.id}`)).body
  baseEntry = rt.runtime.tasks.roster({ limit: 1 })[0] as RosterTask
})
afterAll(() => rt?.close())

const PAYLOAD = '<img src=x onerror=alert(1)> &amp; "quoted"'

/** Every element matching a selector, with its attributes and text, as a browser-grade parser reads the page. */
async function elements(
  html: string,
  selector: string,
): Promise<{ attrs: Record<string, string>; text: string }[]> {
  const found: { attrs: Record<string, string>; text: string }[] = []
  await new HTMLRewriter()
    .on(selector, {
      element(element) {
        found.push({ attrs: Object.fromEntries(element.attributes), text: '' })
      },
      text(chunk) {
        const last = found.at(-1)
        if (last) last.text += chunk.text
      },
    })
    .transform(new Response(html))
    .text()
  return found
}

// HTMLRewriter hands text and attribute values over as written; a browser decodes them once.
const decodeEntities = (text: string) =>
  text
    .replace(/&#34;|&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

const withStatus = (status: TaskView['status'], n: number): RosterTask => ({
  ...baseEntry,
  id: `00000000-0000-4000-8000-00000000000${n}`,
  title: `${status} ${PAYLOAD}`,
  status,
  state: status === 'needs-input' ? 'needs-input.approval' : status,
})

describe('the roster', () => {
  test('every status lands in its group, in the order that puts what needs the user first', async () => {
    const expected: Record<TaskView['status'], RosterGroupId> = {
      'needs-input': 'needs-you',
      queued: 'running',
      running: 'running',
      'ready-for-review': 'review',
      completed: 'done',
      failed: 'failed',
      stopped: 'failed',
    }
    for (const status of TASK_STATUSES) expect(rosterGroup(status)).toBe(expected[status])
    const tasks = TASK_STATUSES.map((status, n) => withStatus(status, n))
    const html = RosterGroups({ tasks, filtered: false, selected: tasks[1]?.id }) as string
    const groups = await elements(html, 'section.roster-group')
    expect(groups.map((group) => group.attrs['data-group'])).toEqual([
      'needs-you',
      'running',
      'review',
      'done',
      'failed',
    ])
    for (const task of tasks) {
      const entries = await elements(
        html,
        `section[data-group="${expected[task.status]}"] a.roster-item[data-task-id="${task.id}"]`,
      )
      expect(entries).toHaveLength(1)
      expect(entries[0]?.attrs.href).toBe(`/tasks/${task.id}/view`)
      expect(entries[0]?.attrs['data-task-status']).toBe(task.status)
    }
    const current = await elements(html, 'a.roster-item[aria-current="page"]')
    expect(current.map((entry) => entry.attrs['data-task-id'])).toEqual([tasks[1]?.id])
  })

  test('a hostile title is text, in the entry and its data attribute', async () => {
    const task = withStatus('running', 1)
    const html = RosterGroups({ tasks: [task], filtered: false }) as string
    expect(await elements(html, 'img')).toHaveLength(0)
    const [title] = await elements(html, '.roster-title')
    expect(decodeEntities(title?.text ?? '')).toBe(task.title)
    const [entry] = await elements(html, 'a.roster-item')
    expect(decodeEntities(entry?.attrs['data-task-title'] ?? '')).toBe(task.title)
  })

  test('progress reads only git’s counts from a diff stat', () => {
    expect(shortDiffStat(' a.ts | 3 ++-\n 2 files changed, 4 insertions(+), 1 deletion(-)')).toBe(
      '+4 −1 · 2 files',
    )
    expect(shortDiffStat(' 1 file changed, 2 insertions(+)')).toBe('+2 −0 · 1 file')
    expect(shortDiffStat(`${PAYLOAD} | 1 +`)).toBeNull()
    expect(shortDiffStat(null)).toBeNull()
  })

  test('no task says how to start one; a filtered empty list says the filters match nothing', () => {
    expect(RosterGroups({ tasks: [], filtered: false }) as string).toContain('No tasks yet')
    expect(RosterGroups({ tasks: [], filtered: true }) as string).toContain('No tasks match these filters.')
  })
})

describe('the inspector', () => {
  const finishedAttempt = (runtimeMillis: number): NonNullable<TaskView['current_attempt']> => ({
    id: 'at1',
    task_id: base.id,
    attempt_number: 1,
    runner: 'shell',
    status: 'completed',
    execution_workspace: null,
    runner_session_id: null,
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:01:30.000Z',
    exit_status: 'exit 0',
    summary: null,
    sandboxed: true,
    isolated: true,
    limits: null,
    cost_ledger: { ...base.cost_ledger, runtime_millis: runtimeMillis },
    runner_host_id: null,
    runner_host: null,
  })

  test('an attempt that ran on a runner host says where, escaped; a local one says nothing of hosts', async () => {
    const local = finishedAttempt(1000)
    const remote = {
      ...finishedAttempt(2000),
      id: 'at2',
      attempt_number: 2,
      runner_host_id: 'h1',
      runner_host: PAYLOAD,
    }
    const html = TaskDetails({
      task: { ...base, attempts: [local, remote], current_attempt: remote },
      approvals: [],
    }) as string
    const items = await elements(html, 'ol.attempts > li')
    expect(items).toHaveLength(2)
    const ranOn = await elements(html, 'ol.attempts .ran-on')
    expect(ranOn.map((span) => decodeEntities(span.text))).toEqual([` · ran on ${PAYLOAD}`])
    expect(html).not.toContain('<img src=x')
  })

  test('meters show usage against the budgets in force: runtime per attempt, cost against its cap', async () => {
    const attempt = finishedAttempt(90_000)
    const task: TaskView = {
      ...base,
      budget_minutes: 15,
      policy: { ...base.policy, budget_cents: 250, max_runtime_minutes: null },
      effective_policy: { ...base.policy, budget_cents: 250, max_runtime_minutes: 5 },
      cost_ledger: { ...base.cost_ledger, estimated_cents: 120, input_tokens: 1500, output_tokens: 300 },
      attempts: [attempt],
      current_attempt: attempt,
    }
    const gauges = usageGauges(task)
    // The frozen policy's max runtime (5 min) overrides the task's 15-minute budget.
    expect(gauges.find((gauge) => gauge.id === 'runtime')).toMatchObject({ value: 90, max: 300 })
    expect(gauges.find((gauge) => gauge.id === 'cost')).toMatchObject({ value: 120, max: 250 })
    const html = UsageMeters({ task }) as string
    const meters = await elements(html, 'meter')
    expect(meters.map((meter) => [meter.attrs.id, meter.attrs.value, meter.attrs.max])).toEqual([
      ['meter-runtime', '90', '300'],
      ['meter-cost', '120', '250'],
    ])
    // Each meter is named by a label.
    for (const meter of meters) expect(await elements(html, `label[for="${meter.attrs.id}"]`)).toHaveLength(1)
    expect(html).toContain('1m 30s of 5 min')
    expect(html).toContain('$1.20 of $2.50')
    expect(html).toContain('1,500 in · 300 out')
  })

  test('without a budget there is no meter and no invented maximum', async () => {
    const task: TaskView = {
      ...base,
      policy: { ...base.policy, budget_cents: null },
      effective_policy: null,
      cost_ledger: { ...base.cost_ledger, estimated_cents: 75 },
    }
    const gauges = usageGauges(task)
    expect(gauges.find((gauge) => gauge.id === 'cost')?.max).toBeNull()
    expect(gauges.find((gauge) => gauge.id === 'tokens')?.max).toBeNull()
    const html = UsageMeters({ task }) as string
    expect((await elements(html, 'meter')).map((meter) => meter.attrs.id)).toEqual(['meter-runtime'])
    expect(html).toContain('$0.75 (no cap)')
  })

  test('a meter never draws past its budget, while its text says what was used', async () => {
    const attempt = finishedAttempt(600_000)
    const task: TaskView = {
      ...base,
      budget_minutes: 2,
      policy: { ...base.policy, max_runtime_minutes: null },
      effective_policy: null,
      attempts: [attempt],
      current_attempt: attempt,
    }
    const [meter] = await elements(UsageMeters({ task }) as string, 'meter#meter-runtime')
    expect([meter?.attrs.value, meter?.attrs.max]).toEqual(['120', '120'])
    expect(meter?.text).toBe('10m 00s of 2 min')
  })

  test('progress steps follow the run from the queue to a merge', () => {
    const states = (task: Parameters<typeof progressSteps>[0]) =>
      progressSteps(task).map((step) => `${step.id}:${step.state}`)
    expect(states(base)).toEqual([
      'queued:current',
      'workspace:pending',
      'running:pending',
      'review:pending',
      'merged:pending',
    ])
    const attempt = finishedAttempt(1000)
    const reviewed = {
      ...base,
      status: 'ready-for-review' as const,
      state: 'ready-for-review',
      attempts: [attempt],
      current_attempt: attempt,
      isolated: true,
      diff_stat: ' 1 file changed, 1 insertion(+)',
    }
    expect(states(reviewed)).toEqual([
      'queued:done',
      'workspace:done',
      'running:done',
      'review:current',
      'merged:pending',
    ])
    expect(
      states({ ...reviewed, status: 'completed', worktree_merged_at: '2026-01-01T00:02:00.000Z' }),
    ).toEqual(['queued:done', 'workspace:done', 'running:done', 'review:done', 'merged:done'])
    expect(states({ ...reviewed, status: 'failed', state: 'failed' })).toEqual([
      'queued:done',
      'workspace:done',
      'running:failed',
      'review:pending',
      'merged:pending',
    ])
  })
})
