import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { claudeAdapter, type LaunchRequest, type PermissionMode, SessionInventory } from '../../src/agents'
import { DEFAULT_USAGE, type ModelServer, startModelServer } from '../support/model-server'
import { AgentRun, agentBinary, agentEnv, makeSandbox, type Sandbox, totalUsage } from './harness'

/** The real Claude Code CLI, driven through the adapter against the scripted model server. */

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
    bin: agentBinary('claude'),
    cwd: box.cwd,
    permissionMode,
    resumeSessionId,
    baseEnv: agentEnv(server, box),
  }
}

function start(req: LaunchRequest, prompt: string): AgentRun {
  const run = AgentRun.start(claudeAdapter, req, prompt)
  runs.push(run)
  return run
}

/** Requests the CLI sent for the given working directory (tests share one server). */
const requestsFor = (box: Sandbox) =>
  server.requests.filter(
    (r) => r.api === 'anthropic' && r.conversation?.cwd === box.cwd && !r.conversation.sideCall,
  )

const assistantTexts = (run: AgentRun) => run.eventsOf('assistant_text').map((event) => event.message)

describe('claude-code adapter with the real CLI', () => {
  test(
    'a scripted file edit lands in the cwd and a live second turn continues the session',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'auto'), 'SCRIPT:write-file hello.txt hello from claude')
      await run.waitForTurns(1)
      expect(readFileSync(join(box.cwd, 'hello.txt'), 'utf8')).toBe('hello from claude\n')
      expect(run.signalsOf('session').map((s) => s.id)).toEqual([run.launch.sessionId as string])
      expect(run.eventsOf('tool_call')[0]?.message).toBe('Write hello.txt')
      expect(run.signalsOf('tool-call')).toHaveLength(1)

      run.session.sendUserTurn('SCRIPT:echo second turn')
      await run.waitForTurns(2)
      expect(assistantTexts(run).at(-1)).toContain('prompts in history: 2')
      expect(run.signalsOf('turn-complete').map((s) => s.isError)).toEqual([false, false])
      expect(await run.finish()).toBe(0)

      // Three model requests (write, summary, echo): every token counted once.
      const made = requestsFor(box).length
      expect(made).toBe(3)
      const total = totalUsage(run)
      expect(total).toMatchObject({
        input_tokens: made * DEFAULT_USAGE.input,
        output_tokens: made * DEFAULT_USAGE.output,
        cache_read_tokens: made * DEFAULT_USAGE.cacheRead,
        cache_write_tokens: made * DEFAULT_USAGE.cacheWrite,
      })
      // The CLI's own cumulative figure for the process equals the sum of our deltas.
      const lastResult = JSON.parse(
        run.stdoutLines.filter((line) => line.includes('"type":"result"')).at(-1) ?? '{}',
      )
      expect(total.cost_usd).toBeCloseTo(lastResult.total_cost_usd, 9)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a follow-up after the process ended resumes the session without recounting it',
    async () => {
      const box = sandbox()
      const first = start(request(box, 'auto'), 'SCRIPT:echo first')
      await first.waitForTurns(1)
      expect(await first.finish()).toBe(0)
      const sessionId = first.launch.sessionId as string

      const resumed = start(request(box, 'auto', sessionId), 'SCRIPT:usage 1000 50 0 0')
      await resumed.waitForTurns(1)
      expect(await resumed.finish()).toBe(0)
      expect(resumed.launch.argv).toContain('--resume')
      expect(resumed.signalsOf('session').map((s) => s.id)).toEqual([sessionId])
      expect(requestsFor(box).at(-1)?.conversation?.promptCount).toBe(2)
      // The resumed process reports session-wide totals; only this turn's request may count.
      expect(totalUsage(resumed)).toMatchObject({
        input_tokens: 1000,
        output_tokens: 50,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      })
      const firstCost = totalUsage(first).cost_usd
      const resumedCost = totalUsage(resumed).cost_usd
      expect(firstCost).toBeGreaterThan(0)
      const lastResult = JSON.parse(
        resumed.stdoutLines.filter((line) => line.includes('"type":"result"')).at(-1) ?? '{}',
      )
      expect(firstCost + resumedCost).toBeCloseTo(lastResult.total_cost_usd, 9)

      // The inventory reads the transcript the real CLI wrote.
      const listed = new SessionInventory().list({ env: { HOME: box.home } }).sessions
      expect(listed).toEqual([
        expect.objectContaining({
          session_id: sessionId,
          workspace: box.cwd,
          title: 'SCRIPT:usage 1000 50 0 0',
        }),
      ])
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a supervised approval that is allowed lets the tool run',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'supervised'), 'SCRIPT:write-file allowed.txt allowed')
      const approval = await run.waitForApproval()
      expect(approval.tool).toBe('Write')
      expect(existsSync(join(box.cwd, 'allowed.txt'))).toBe(false)
      expect(run.session.answerApproval(approval.id, { allow: true })).toBe(true)
      expect(run.session.answerApproval(approval.id, { allow: true })).toBe(false)
      await run.waitForTurns(1)
      expect(readFileSync(join(box.cwd, 'allowed.txt'), 'utf8')).toBe('allowed\n')
      const followUp = requestsFor(box).at(-1)?.conversation
      expect(followUp?.toolResults).toEqual([
        { output: expect.stringContaining('File created'), isError: false },
      ])
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'a supervised approval that is denied stops the tool and tells the agent why',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'supervised'), 'SCRIPT:bash echo no > denied.txt')
      const approval = await run.waitForApproval()
      expect(approval.tool).toBe('Bash')
      expect(approval.input).toMatchObject({ command: 'echo no > denied.txt' })
      run.session.answerApproval(approval.id, { allow: false, message: 'not today' })
      await run.waitForTurns(1)
      expect(existsSync(join(box.cwd, 'denied.txt'))).toBe(false)
      const followUp = requestsFor(box).at(-1)?.conversation
      expect(followUp?.toolResults).toEqual([{ output: expect.stringContaining('not today'), isError: true }])
      expect(run.eventsOf('tool_result')[0]?.metadata).toMatchObject({ is_error: true })
      expect(await run.finish()).toBe(0)
    },
    CLI_TIMEOUT_MS,
  )

  test(
    'interrupt stops a long turn and the session takes another turn',
    async () => {
      const box = sandbox()
      const run = start(request(box, 'auto'), 'SCRIPT:long 120')
      await server.waitForHold()
      await run.waitUntil('the first text block', () => run.eventsOf('assistant_text').length > 0)
      expect(run.session.interrupt()).toBe(true)
      await run.waitForTurns(1)
      expect(run.signalsOf('turn-complete')[0]?.isError).toBe(true)
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
      const run = start(request(box, 'supervised'), 'SCRIPT:bash touch pending.txt')
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
