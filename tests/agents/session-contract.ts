import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AgentAdapter, type AgentSignal, type PermissionMode, SessionInventory } from '../../src/agents'
import { type ModelServer, type RecordedRequest, startModelServer } from '../support/model-server'
import { AgentRun, launchRequest, makeSandbox, type Sandbox } from './harness'

/**
 * What every agent CLI must do under openRuntime, run against the real binary and the scripted
 * model server. Every test here runs for each CLI; a CLI's test file passes what differs: its
 * prompts, and hooks holding the checks that only hold for that CLI (its event and tool names,
 * its token accounting, what it reports beyond the common signals).
 */

const CLI_TIMEOUT_MS = 60_000

type Approval = Extract<AgentSignal, { type: 'approval-request' }>

export interface CliContract {
  title: string
  runner: 'claude' | 'codex'
  adapter: AgentAdapter
  /** The API the CLI speaks to the model server; tells its requests apart, as all tests share one server. */
  api: 'anthropic' | 'openai'
  /** The script verb for a shell command that waits for approval when supervised. */
  gatedShell: 'bash' | 'escalate'
  /** `SCRIPT:write-file hello.txt`, then an echo turn: three model requests in one process. */
  fileEdit: {
    afterFirstTurn(run: AgentRun): void
    afterSecondTurn?(run: AgentRun): void
    /** Every token of the finished run counted once. */
    usage(run: AgentRun, requests: number): void
  }
  /** A second process resumes the first one's session. */
  resume: {
    firstPrompt: string
    resumedPrompt: string
    /** The title the session inventory shows afterwards. */
    title: string
    afterFirstRun?(first: AgentRun, box: Sandbox): void
    /** `requests` are the model requests of both processes. */
    afterResume(first: AgentRun, resumed: AgentRun, requests: RecordedRequest[]): void
  }
  /** A supervised tool call that is allowed; the prompt must write allowed.txt. */
  allowed: {
    prompt: string
    content: string
    /** What the agent is told once the tool ran. */
    toolResult: string
    approval(approval: Approval): void
    afterAllow?(run: AgentRun, approval: Approval): void
  }
  /** A supervised tool call that is denied with "not today"; the prompt would write denied.txt. */
  denied: {
    prompt: string
    /** What the agent is told instead of the tool's output. */
    toolResult: string
    approval?(approval: Approval): void
    afterTurn(run: AgentRun): void
  }
  afterInterrupt?(run: AgentRun): void
}

const assistantTexts = (run: AgentRun) => run.eventsOf('assistant_text').map((event) => event.message)

/** Claude's id is chosen before the launch; Codex announces its thread's id once it starts. */
const sessionIdOf = (run: AgentRun) => run.launch.sessionId ?? (run.signalsOf('session')[0]?.id as string)

export function describeCliContract(cli: CliContract): void {
  describe(cli.title, () => {
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

    function start(box: Sandbox, mode: PermissionMode, prompt: string, resumeSessionId?: string): AgentRun {
      const run = AgentRun.start(
        cli.adapter,
        launchRequest(server, box, cli.runner, mode, resumeSessionId),
        prompt,
      )
      runs.push(run)
      return run
    }

    /** Claude's title-generating side calls are not turns. */
    const requestsFor = (box: Sandbox) =>
      server.requests.filter(
        (r) => r.api === cli.api && r.conversation?.cwd === box.cwd && !r.conversation.sideCall,
      )

    /** What the agent was told about its tool call, in the request that followed it. */
    const toolResultsSent = (box: Sandbox) => requestsFor(box).at(-1)?.conversation?.toolResults

    test(
      'a scripted file edit lands in the cwd and a live second turn continues the session',
      async () => {
        const box = sandbox()
        const run = start(box, 'auto', `SCRIPT:write-file hello.txt hello from ${cli.runner}`)
        await run.waitForTurns(1)
        expect(readFileSync(join(box.cwd, 'hello.txt'), 'utf8')).toBe(`hello from ${cli.runner}\n`)
        cli.fileEdit.afterFirstTurn(run)
        expect(run.signalsOf('tool-call')).toHaveLength(1)

        run.session.sendUserTurn('SCRIPT:echo second turn')
        await run.waitForTurns(2)
        expect(assistantTexts(run).at(-1)).toContain('prompts in history: 2')
        expect(run.signalsOf('turn-complete').map((s) => s.isError)).toEqual([false, false])
        cli.fileEdit.afterSecondTurn?.(run)
        expect(await run.finish()).toBe(0)

        // Write, summary, echo.
        const made = requestsFor(box).length
        expect(made).toBe(3)
        cli.fileEdit.usage(run, made)
      },
      CLI_TIMEOUT_MS,
    )

    test(
      'a follow-up after the process ended resumes the session without recounting it',
      async () => {
        const box = sandbox()
        const first = start(box, 'auto', cli.resume.firstPrompt)
        await first.waitForTurns(1)
        expect(await first.finish()).toBe(0)
        cli.resume.afterFirstRun?.(first, box)
        const sessionId = sessionIdOf(first)

        const resumed = start(box, 'auto', cli.resume.resumedPrompt, sessionId)
        await resumed.waitForTurns(1)
        expect(await resumed.finish()).toBe(0)
        expect(resumed.signalsOf('session').map((s) => s.id)).toEqual([sessionId])
        cli.resume.afterResume(first, resumed, requestsFor(box))

        // The inventory reads the transcript the real CLI wrote.
        const listed = new SessionInventory().list({
          env: { HOME: box.home, CODEX_HOME: box.codexHome },
        }).sessions
        expect(listed).toEqual([
          expect.objectContaining({ session_id: sessionId, workspace: box.cwd, title: cli.resume.title }),
        ])
      },
      CLI_TIMEOUT_MS,
    )

    test(
      'a supervised approval that is allowed lets the tool run',
      async () => {
        const box = sandbox()
        const run = start(box, 'supervised', cli.allowed.prompt)
        const approval = await run.waitForApproval()
        cli.allowed.approval(approval)
        expect(existsSync(join(box.cwd, 'allowed.txt'))).toBe(false)
        expect(run.session.answerApproval(approval.id, { allow: true })).toBe(true)
        cli.allowed.afterAllow?.(run, approval)
        await run.waitForTurns(1)
        expect(readFileSync(join(box.cwd, 'allowed.txt'), 'utf8')).toBe(cli.allowed.content)
        expect(toolResultsSent(box)).toEqual([
          { output: expect.stringContaining(cli.allowed.toolResult), isError: false },
        ])
        expect(await run.finish()).toBe(0)
      },
      CLI_TIMEOUT_MS,
    )

    test(
      'a supervised approval that is denied stops the tool and the agent is told',
      async () => {
        const box = sandbox()
        const run = start(box, 'supervised', cli.denied.prompt)
        const approval = await run.waitForApproval()
        cli.denied.approval?.(approval)
        run.session.answerApproval(approval.id, { allow: false, message: 'not today' })
        await run.waitForTurns(1)
        expect(existsSync(join(box.cwd, 'denied.txt'))).toBe(false)
        expect(toolResultsSent(box)).toEqual([
          { output: expect.stringContaining(cli.denied.toolResult), isError: true },
        ])
        cli.denied.afterTurn(run)
        expect(await run.finish()).toBe(0)
      },
      CLI_TIMEOUT_MS,
    )

    test(
      'interrupt stops a long turn and the session takes another turn',
      async () => {
        const box = sandbox()
        const run = start(box, 'auto', 'SCRIPT:long 120')
        await server.waitForHold()
        await run.waitUntil('the first text block', () => run.eventsOf('assistant_text').length > 0)
        expect(run.session.interrupt()).toBe(true)
        await run.waitForTurns(1)
        expect(run.signalsOf('turn-complete')[0]?.isError).toBe(true)
        cli.afterInterrupt?.(run)
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
        const run = start(box, 'supervised', `SCRIPT:${cli.gatedShell} touch pending.txt`)
        const approval = await run.waitForApproval()
        expect(run.session.interrupt()).toBe(true)
        await run.waitForTurns(1)
        expect(run.signalsOf('turn-complete')[0]?.isError).toBe(true)
        // Claude withdraws the request before the turn ends, Codex just after it.
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

    // Last, so that it covers every run above.
    test('no run tried to reach a host other than the model server', () => {
      expect(server.requests.length).toBeGreaterThan(0)
      expect(server.outsideAttempts).toEqual([])
    })
  })
}
