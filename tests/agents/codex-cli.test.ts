import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  codexAdapter,
  codexCostUsd,
  type LaunchRequest,
  type PermissionMode,
  SessionInventory,
} from '../../src/agents'
import { DEFAULT_USAGE, type ModelServer, startModelServer } from '../support/model-server'
import {
  AgentRun,
  agentBinary,
  agentEnv,
  CODEX_MODEL,
  codexProviderArgs,
  makeSandbox,
  type Sandbox,
  totalUsage,
} from './harness'

/** The real Codex CLI (`codex app-server`), driven through the adapter against the scripted model server. */

const CLI_TIMEOUT_MS = 60_000

let server: ModelServer
const sandboxes: Sandbox[] = []
const runs: AgentRun[] = []

beforeAll(() => {
  server = startModelServer()
})

afterEach(() => {
  for (const run of runs.splice(0)) run.kill()
})

afterAll(async () => {
  await server.stop()
  for (const sandbox of sandboxes) sandbox.remove()
})

function sandbox(): Sandbox {
  const created = makeSandbox()
  sandboxes.push(created)
  return created
}

function request(box: Sandbox, permissionMode: PermissionMode, resumeSessionId?: string): LaunchRequest {
  return {
    bin: agentBinary('codex'),
    cwd: box.cwd,
    model: CODEX_MODEL,
    permissionMode,
    resumeSessionId,
    extraArgs: codexProviderArgs(server),
    baseEnv: agentEnv(server, box),
  }
}

function start(req: LaunchRequest, prompt: string): AgentRun {
  const run = AgentRun.start(codexAdapter, req, prompt)
  runs.push(run)
  return run
}

const requestsFor = (box: Sandbox) =>
  server.requests.filter((r) => r.api === 'openai' && r.conversation?.cwd === box.cwd)

const assistantTexts = (run: AgentRun) => run.eventsOf('assistant_text').map((event) => event.message)

const perRequest = (count: number) => ({
  input_tokens: count * DEFAULT_USAGE.input,
  output_tokens: count * DEFAULT_USAGE.output,
  cache_read_tokens: count * DEFAULT_USAGE.cacheRead,
  // The Responses API has no cache writes.
  cache_write_tokens: 0,
})

describe('codex adapter with the real CLI', () => {
  test(
    'a scripted file edit lands in the cwd and a live second turn continues the thread',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'auto'), 'SCRIPT:write-file hello.txt hello from codex')
      await run.waitForTurns(1)
      expect(readFileSync(join(box.cwd, 'hello.txt'), 'utf8')).toBe('hello from codex\n')
      const [session] = run.signalsOf('session')
      expect(session?.id).toBeString()
      expect(run.eventsOf('file_change')[0]?.message).toBe('Add hello.txt')
      expect(run.signalsOf('tool-call')).toHaveLength(1)

      run.session.sendUserTurn('SCRIPT:echo second turn')
      await run.waitForTurns(2)
      expect(assistantTexts(run).at(-1)).toContain('prompts in history: 2')
      expect(run.signalsOf('turn-complete').map((s) => s.isError)).toEqual([false, false])
      expect(run.signalsOf('session')).toHaveLength(1)
      expect(await run.finish()).toBe(0)

      const made = requestsFor(box).length
      expect(made).toBe(3)
      const total = totalUsage(run)
      expect(total).toMatchObject(perRequest(made))
      expect(total.cost_usd).toBeCloseTo(codexCostUsd(CODEX_MODEL, perRequest(made)) ?? Number.NaN, 12)
      expect(total.cost_usd).toBeGreaterThan(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a follow-up after the process ended resumes the thread without recounting it',
    async () => {
      const box = sandbox()
      const first = start(request(box, 'auto'), 'SCRIPT:bash printf one > one.txt')
      await first.waitForTurns(1)
      expect(await first.finish()).toBe(0)
      expect(readFileSync(join(box.cwd, 'one.txt'), 'utf8')).toBe('one')
      expect(first.eventsOf('command')[0]?.metadata).toMatchObject({ exit_code: 0, status: 'completed' })
      const threadId = first.signalsOf('session')[0]?.id as string

      const resumed = start(request(box, 'auto', threadId), 'SCRIPT:echo after the restart')
      await resumed.waitForTurns(1)
      expect(await resumed.finish()).toBe(0)
      expect(resumed.signalsOf('session').map((s) => s.id)).toEqual([threadId])
      expect(assistantTexts(resumed).at(-1)).toContain('prompts in history: 2')
      expect(totalUsage(first)).toMatchObject(perRequest(2))
      // Codex replays the thread's saved total on resume; only the new request may count.
      expect(totalUsage(resumed)).toMatchObject(perRequest(1))

      const listed = new SessionInventory().list({
        env: { HOME: box.home, CODEX_HOME: box.codexHome },
      }).sessions
      expect(listed).toEqual([
        expect.objectContaining({
          session_id: threadId,
          workspace: box.cwd,
          title: 'SCRIPT:bash printf one > one.txt',
        }),
      ])
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a supervised approval that is allowed lets the command run',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'supervised'), 'SCRIPT:escalate printf yes > allowed.txt')
      const approval = await run.waitForApproval()
      expect(approval.tool).toBe('Bash')
      expect(approval.input).toMatchObject({ command: expect.stringContaining('printf yes > allowed.txt') })
      expect(existsSync(join(box.cwd, 'allowed.txt'))).toBe(false)
      expect(run.session.answerApproval(approval.id, { allow: true })).toBe(true)
      await run.waitForTurns(1)
      expect(readFileSync(join(box.cwd, 'allowed.txt'), 'utf8')).toBe('yes')
      const followUp = requestsFor(box).at(-1)?.conversation
      expect(followUp?.toolResults).toEqual([
        { output: expect.stringContaining('exited with code 0'), isError: false },
      ])
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a supervised approval that is declined stops the command and the agent is told',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'supervised'), 'SCRIPT:escalate printf no > denied.txt')
      const approval = await run.waitForApproval()
      run.session.answerApproval(approval.id, { allow: false, message: 'not today' })
      await run.waitForTurns(1)
      expect(existsSync(join(box.cwd, 'denied.txt'))).toBe(false)
      const followUp = requestsFor(box).at(-1)?.conversation
      expect(followUp?.toolResults).toEqual([
        { output: expect.stringContaining('rejected by user'), isError: true },
      ])
      expect(run.eventsOf('permission_denied')).toHaveLength(1)
      expect(run.eventsOf('command')[0]?.metadata).toMatchObject({ status: 'declined' })
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'interrupt stops a long turn and the thread takes another turn',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'auto'), 'SCRIPT:long 120')
      await server.waitForHold()
      await run.waitUntil('the turn to start', () => run.eventsOf('assistant_text').length > 0)
      expect(run.session.interrupt()).toBe(true)
      await run.waitForTurns(1)
      expect(run.signalsOf('turn-complete')[0]?.isError).toBe(true)
      expect(run.eventsOf('result')[0]?.metadata).toMatchObject({ status: 'interrupted' })
      expect(run.session.interrupt()).toBe(false)

      run.session.sendUserTurn('SCRIPT:echo after the interruption')
      await run.waitForTurns(2)
      expect(run.signalsOf('turn-complete')[1]?.isError).toBe(false)
      expect(assistantTexts(run).at(-1)).toContain('after the interruption')
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'interrupt while an approval is pending withdraws it',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'supervised'), 'SCRIPT:escalate touch pending.txt')
      const approval = await run.waitForApproval()
      expect(run.session.interrupt()).toBe(true)
      await run.waitForTurns(1)
      expect(run.signalsOf('turn-complete')[0]?.isError).toBe(true)
      // Codex reports the withdrawal just after the turn's end.
      await run.waitUntil('the approval to be withdrawn', () =>
        run.eventsOf('notice').some((e) => e.message === 'The agent withdrew its approval request'),
      )
      expect(run.session.answerApproval(approval.id, { allow: true })).toBe(false)
      expect(existsSync(join(box.cwd, 'pending.txt'))).toBe(false)

      run.session.sendUserTurn('SCRIPT:echo still here')
      await run.waitForTurns(2)
      expect(assistantTexts(run).at(-1)).toContain('still here')
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test('no run tried to reach a host other than the model server', () => {
    expect(server.requests.length).toBeGreaterThan(0)
    expect(server.outsideAttempts).toEqual([])
  })
})
