import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { agentBinary, CODEX_MODEL, claudeAgainst, codexProviderArgs } from '../agents/harness'
import { makeRepo } from '../support/git-repo'
import { DEFAULT_USAGE, type ModelServer, startModelServer } from '../support/model-server'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'
import { eventsOf, hostScratch, outputOf, type TasksApi, tasksApi } from './api'

/**
 * Issue 5 through the real API with the real CLIs, talking to the scripted model server: the
 * runtime launches them in the sandbox with a throw-away HOME and CODEX_HOME, pointed at the
 * server by the per-runner environment and argument settings.
 */

const scratch = hostScratch('openruntime-agents-')
const home = join(scratch.path, 'home')
// Not under the runner's TMPDIR (the sandbox's /tmp): Codex's own sandbox breaks there.
const codexHome = join(home, '.codex')
let server: ModelServer
let rt: TestRuntime
let api: TasksApi
let repo = ''

beforeAll(async () => {
  mkdirSync(codexHome, { recursive: true })
  repo = makeRepo(join(scratch.path, 'repo'))
  server = startModelServer()
  rt = await startTestRuntime({
    HOME: home,
    ...claudeAgainst(server),
    OPENRUNTIME_STOP_GRACE_MS: '3000',
    OPENRUNTIME_CODEX_BIN: agentBinary('codex'),
    OPENRUNTIME_CODEX_ENV: JSON.stringify({
      CODEX_HOME: codexHome,
      SCRIPTED_MODEL_KEY: 'dummy',
      ...server.proxyEnv(),
    }),
    OPENRUNTIME_CODEX_ARGS: JSON.stringify(codexProviderArgs(server)),
  })
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  await server?.stop()
  scratch.cleanup()
})

interface Cli {
  runner: 'claude-code' | 'codex'
  api: 'anthropic' | 'openai'
  model?: string
  /** A prompt whose tool use needs approval under the supervised mode. */
  guarded: (file: string) => string
  /** What the model is told when a tool use is denied with "not today". */
  denial: string
}

const CLIS: Cli[] = [
  {
    runner: 'claude-code',
    api: 'anthropic',
    guarded: (file) => `SCRIPT:write-file ${file} approved content`,
    denial: 'not today',
  },
  {
    runner: 'codex',
    api: 'openai',
    model: CODEX_MODEL,
    guarded: (file) => `SCRIPT:escalate printf 'approved content' > ${file}`,
    denial: 'rejected by user',
  },
]

const agentEvents = (task: any, type: string) =>
  task.events.filter((event: any) => event.metadata?.category === 'agent' && event.metadata.type === type)

/** Model requests made from a task's working directory (Claude's side calls excluded). */
const requestsFrom = (cli: Cli, cwd: string) =>
  server.requests.filter((r) => r.api === cli.api && r.conversation?.cwd === cwd && !r.conversation.sideCall)

/** The sum of the usage events a task recorded (each one a delta). */
function usageEvents(task: any) {
  const sum = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, cents: 0 }
  for (const event of agentEvents(task, 'usage')) {
    sum.input_tokens += event.metadata.input_tokens
    sum.output_tokens += event.metadata.output_tokens
    sum.cache_read_tokens += event.metadata.cache_read_tokens
    sum.cache_write_tokens += event.metadata.cache_write_tokens
    sum.cents += (event.metadata.cost_usd ?? 0) * 100
  }
  return sum
}

for (const cli of CLIS) {
  const agent = (prompt: string, extra: Record<string, unknown> = {}) =>
    api.create({ runner: cli.runner, prompt, model: cli.model, workspace: repo, ...extra })

  /** Starts a supervised task, past the approval gate, and waits for the agent's first tool approval. */
  async function pendingApproval(prompt: string, policy: Record<string, unknown> = {}) {
    const id = await agent(prompt, { policy: { require_approval: true, ...policy } })
    expect((await api.start(id)).body.state).toBe('needs-input.approval')
    expect((await rt.call('POST', `/tasks/${id}/approve`, {})).status).toBe(200)
    const [approval] = await waitFor('a pending tool approval', async () => {
      const listed = await api.approvals(id)
      return listed.length > 0 ? listed : null
    })
    return { id, approval }
  }

  describe(`${cli.runner} through the API`, () => {
    test('a scripted file edit lands in the worktree and the diff; the session, tokens and cost are recorded once', async () => {
      const id = await agent('SCRIPT:write-file hello.txt hello from the agent')
      await api.run(id)
      const task = await api.settled(id)
      expect(task.status).toBe('ready-for-review')
      expect(readFileSync(join(task.worktree_path, 'hello.txt'), 'utf8')).toBe('hello from the agent\n')
      expect(existsSync(join(repo, 'hello.txt'))).toBe(false)
      const diff = (await rt.call('GET', `/tasks/${id}/diff`)).body
      expect(diff.files.map((file: any) => file.path)).toEqual(['hello.txt'])
      expect(diff.patch).toContain('+hello from the agent')
      expect(task).toMatchObject({ sandboxed: true, isolated: true, model: cli.model ?? null })
      // A network of its own, in which the model server is the one endpoint it can reach.
      expect(eventsOf(task, 'sandbox')[0].metadata).toMatchObject({
        sandboxed: true,
        allowed_endpoints: [`127.0.0.1:${server.port}`],
      })
      expect(task.current_attempt).toMatchObject({ status: 'completed', exit_status: 'exit status: 0' })

      // The session id, stored once on the task and on the attempt.
      expect(task.runner_session_id).toBeString()
      expect(task.current_attempt.runner_session_id).toBe(task.runner_session_id)
      expect(eventsOf(task, 'runner-session').map((e: any) => e.metadata.session_id)).toEqual([
        task.runner_session_id,
      ])
      expect(agentEvents(task, 'assistant_text').length).toBeGreaterThan(0)

      // Every model request counted exactly once: two requests (the edit, then the summary).
      const made = requestsFrom(cli, task.execution_workspace).length
      expect(made).toBe(2)
      const ledger = task.cost_ledger
      expect(ledger).toMatchObject({
        input_tokens: made * DEFAULT_USAGE.input,
        output_tokens: made * DEFAULT_USAGE.output,
        cache_read_tokens: made * DEFAULT_USAGE.cacheRead,
        tool_calls: 1,
      })
      expect(ledger.estimated_cents).toBeGreaterThan(0)
      expect(ledger.estimated_cents).toBeCloseTo(usageEvents(task).cents, 9)
      expect(task.current_attempt.cost_ledger).toMatchObject({
        ...ledger,
        runtime_millis: expect.any(Number),
      })
    })

    test('a reply after the process ended continues the same session in a new attempt, counting nothing twice', async () => {
      const id = await agent('SCRIPT:write-file first.txt first')
      await api.run(id)
      const first = await api.settled(id)
      expect(first.status).toBe('ready-for-review')

      const replied = await api.reply(id, 'SCRIPT:echo and now the second part')
      expect(replied.status).toBe(200)
      expect(replied.body.status).toBe('queued')
      const task = await waitFor('the follow-up attempt to finish', async () => {
        const current = await api.get(id)
        return current.attempts.length === 2 && current.attempts[1].finished_at ? current : null
      })
      expect(task.attempts[1]).toMatchObject({
        runner_session_id: first.runner_session_id,
        status: 'completed',
      })
      expect(task.runner_session_id).toBe(first.runner_session_id)
      expect(task.worktree_path).toBe(first.worktree_path)
      // The model saw the whole conversation: the session was resumed, not started anew.
      expect(agentEvents(task, 'assistant_text').at(-1).message).toContain('prompts in history: 2')
      expect(outputOf(task, 'input')).toEqual(['User reply: SCRIPT:echo and now the second part'])
      // The first file is still there: same worktree.
      expect(readFileSync(join(task.worktree_path, 'first.txt'), 'utf8')).toBe('first\n')

      const made = requestsFrom(cli, task.execution_workspace).length
      expect(made).toBe(3)
      expect(task.cost_ledger).toMatchObject({
        input_tokens: made * DEFAULT_USAGE.input,
        output_tokens: made * DEFAULT_USAGE.output,
      })
      expect(task.cost_ledger.estimated_cents).toBeCloseTo(usageEvents(task).cents, 9)
      const perAttempt = task.attempts.map((attempt: any) => attempt.cost_ledger.input_tokens)
      expect(perAttempt).toEqual([2 * DEFAULT_USAGE.input, DEFAULT_USAGE.input])
    })

    test('a reply during a turn waits for its end and is sent as the next turn of the same process', async () => {
      const id = await agent('SCRIPT:long 3')
      await api.run(id)
      await server.waitForHold()
      const replied = await api.reply(id, 'SCRIPT:echo queued while busy')
      expect(replied.status).toBe(200)
      const task = await api.settled(id)
      expect(task.status).toBe('completed')
      expect(task.attempts).toHaveLength(1)
      expect(eventsOf(task, 'reply')[0].metadata.delivery).toBe('queued')
      expect(agentEvents(task, 'assistant_text').at(-1).message).toContain(
        'echo: SCRIPT:echo queued while busy | prompts in history: 2',
      )
    })

    test('a supervised tool use waits as a pending approval (kept across reloads); allowed, it runs', async () => {
      const { id, approval } = await pendingApproval(cli.guarded('allowed.txt'))
      expect(approval).toMatchObject({ status: 'pending', decided_by: null, tool: expect.any(String) })
      const waiting = await api.get(id)
      expect(waiting.state).toBe('needs-input.prompt')
      expect(existsSync(join(waiting.worktree_path, 'allowed.txt'))).toBe(false)
      // A reload reads it from the database.
      expect(await api.approvals(id)).toEqual([approval])

      const answered = await api.answer(id, approval.id, { allow: true })
      expect(answered.status).toBe(200)
      expect(answered.body).toMatchObject({
        status: 'allowed',
        decided_by: 'local user',
        decided_at: expect.any(String),
      })
      const again = await api.answer(id, approval.id, { allow: false })
      expect(again.status).toBe(409)

      const task = await api.settled(id)
      expect(task.status).toBe('ready-for-review')
      expect(readFileSync(join(task.worktree_path, 'allowed.txt'), 'utf8')).toStartWith('approved content')
      const record = eventsOf(task, 'approval')[0]
      expect(record.metadata).toMatchObject({
        approval_id: approval.id,
        status: 'allowed',
        decided_by: 'local user',
      })
    })

    test('denied, the tool does not run and the agent is told', async () => {
      const { id, approval } = await pendingApproval(cli.guarded('denied.txt'))
      const answered = await api.answer(id, approval.id, { allow: false, message: 'not today' })
      expect(answered.body).toMatchObject({ status: 'denied', message: 'not today' })
      const task = await api.settled(id)
      expect(existsSync(join(task.worktree_path, 'denied.txt'))).toBe(false)
      const toolResults = requestsFrom(cli, task.execution_workspace).at(-1)?.conversation?.toolResults
      expect(toolResults).toEqual([{ output: expect.stringContaining(cli.denial), isError: true }])
    })

    test('stop interrupts a long turn, then ends the process', async () => {
      const id = await agent('SCRIPT:long 120')
      await api.run(id)
      await server.waitForHold()
      await api.until(id, 'running')
      const stopped = await api.stop(id)
      expect(stopped.status).toBe(200)
      expect(stopped.body.status).toBe('stopped')
      const task = await api.get(id)
      // The interrupt reached the agent: its turn ended as interrupted before the process did.
      const result = agentEvents(task, 'result').at(-1)
      expect(result.metadata.is_error || result.metadata.status === 'interrupted').toBe(true)
      expect(task.current_attempt).toMatchObject({ status: 'stopped', summary: 'Stopped by the user' })
    })

    test('a cost budget stops the task once the reported cost exceeds it, and says why', async () => {
      const id = await agent('SCRIPT:write-file costly.txt spent', { policy: { budget_cents: 0 } })
      await api.run(id)
      const task = await api.settled(id)
      expect(task.status).toBe('stopped')
      const stop = eventsOf(task, 'attempt-stopped').at(-1)
      expect(stop.metadata).toMatchObject({ reason: 'cost-budget-exceeded', budget_cents: 0 })
      expect(task.cost_ledger.estimated_cents).toBeGreaterThan(0)
    })
  })
}

test('claude-code: an approval left unanswered is denied after the policy timeout', async () => {
  const id = await api.create({
    runner: 'claude-code',
    prompt: 'SCRIPT:write-file late.txt too late',
    workspace: repo,
    policy: { require_approval: true, approval_timeout_seconds: 1 },
  })
  await api.start(id)
  await rt.call('POST', `/tasks/${id}/approve`, {})
  const task = await api.settled(id)
  expect(existsSync(join(task.worktree_path, 'late.txt'))).toBe(false)
  const [approval] = await api.approvals(id)
  expect(approval).toMatchObject({ status: 'expired', decided_by: 'openRuntime' })
  expect(approval.message).toContain('No answer within 1 second')
})

test('no run tried to reach a host other than the model server', async () => {
  expect(server.requests.length).toBeGreaterThan(0)
  expect(server.outsideAttempts).toEqual([])
  // What a run's own proxy refused never reaches the model server: each task says so itself.
  const tasks = rt.runtime.tasks.list({ limit: 200 }, 'all')
  expect(tasks.length).toBeGreaterThan(0)
  expect(tasks.flatMap((task) => eventsOf(task, 'network-refused'))).toEqual([])
})
