import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { codexAdapter, codexCostUsd } from '../../src/agents'
import { DEFAULT_USAGE, type ModelServer, startModelServer } from '../support/model-server'
import { AgentRun, CODEX_MODEL, launchRequest, makeSandbox, type Sandbox, totalUsage } from './harness'
import { describeCliContract } from './session-contract'

/** The real Codex CLI (`codex app-server`), driven through the adapter against the scripted model server. */

const perRequest = (count: number) => ({
  input_tokens: count * DEFAULT_USAGE.input,
  output_tokens: count * DEFAULT_USAGE.output,
  cache_read_tokens: count * DEFAULT_USAGE.cacheRead,
  // The Responses API has no cache writes.
  cache_write_tokens: 0,
})

describeCliContract({
  title: 'codex adapter with the real CLI',
  runner: 'codex',
  adapter: codexAdapter,
  api: 'openai',
  // Codex runs a plain `bash` command in its sandbox without asking; only escalation needs approval.
  gatedShell: 'escalate',
  fileEdit: {
    afterFirstTurn(run) {
      const [session] = run.signalsOf('session')
      expect(session?.id).toBeString()
      expect(run.eventsOf('file_change')[0]?.message).toBe('Add hello.txt')
    },
    afterSecondTurn(run) {
      expect(run.signalsOf('session')).toHaveLength(1)
    },
    usage(run, requests) {
      const total = totalUsage(run)
      expect(total).toMatchObject(perRequest(requests))
      expect(total.cost_usd).toBeCloseTo(codexCostUsd(CODEX_MODEL, perRequest(requests)) ?? Number.NaN, 12)
      expect(total.cost_usd).toBeGreaterThan(0)
    },
  },
  resume: {
    firstPrompt: 'SCRIPT:bash printf one > one.txt',
    resumedPrompt: 'SCRIPT:echo after the restart',
    // Codex titles a thread by its first prompt.
    title: 'SCRIPT:bash printf one > one.txt',
    afterFirstRun(first, box) {
      expect(readFileSync(join(box.cwd, 'one.txt'), 'utf8')).toBe('one')
      expect(first.eventsOf('command')[0]?.metadata).toMatchObject({ exit_code: 0, status: 'completed' })
    },
    afterResume(first, resumed) {
      expect(resumed.eventsOf('assistant_text').at(-1)?.message).toContain('prompts in history: 2')
      expect(totalUsage(first)).toMatchObject(perRequest(2))
      // Codex replays the thread's saved total on resume; only the new request may count.
      expect(totalUsage(resumed)).toMatchObject(perRequest(1))
    },
  },
  allowed: {
    prompt: 'SCRIPT:escalate printf yes > allowed.txt',
    content: 'yes',
    toolResult: 'exited with code 0',
    approval(approval) {
      expect(approval.tool).toBe('Bash')
      expect(approval.input).toMatchObject({ command: expect.stringContaining('printf yes > allowed.txt') })
    },
  },
  denied: {
    prompt: 'SCRIPT:escalate printf no > denied.txt',
    toolResult: 'rejected by user',
    afterTurn(run) {
      expect(run.eventsOf('permission_denied')).toHaveLength(1)
      expect(run.eventsOf('command')[0]?.metadata).toMatchObject({ status: 'declined' })
    },
  },
  afterInterrupt(run) {
    expect(run.eventsOf('result')[0]?.metadata).toMatchObject({ status: 'interrupted' })
  },
})

describe('codex: what a command that fails inside its own sandbox leaves in the timeline', () => {
  let server: ModelServer
  let box: Sandbox
  const runs: AgentRun[] = []
  // Outside the workspace and outside /tmp (which Codex's workspace-write sandbox leaves writable).
  const outside = `/var/tmp/openruntime-codex-outside-${crypto.randomUUID()}.txt`

  beforeAll(() => {
    server = startModelServer()
    box = makeSandbox()
  })
  afterAll(async () => {
    for (const run of runs) run.kill()
    await server.stop()
    box.remove()
    rmSync(outside, { force: true })
  })

  async function oneTurn(prompt: string): Promise<AgentRun> {
    const run = AgentRun.start(codexAdapter, launchRequest(server, box, 'codex', 'auto'), prompt)
    runs.push(run)
    await run.waitForTurns(1)
    expect(await run.finish()).toBe(0)
    return run
  }

  test('a write outside the workspace: one command event with exit 1 and the sandbox error', async () => {
    const run = await oneTurn(`SCRIPT:bash printf escaped > ${outside}`)
    expect(existsSync(outside)).toBe(false)
    const commands = run.eventsOf('command')
    expect(commands).toHaveLength(1)
    expect(commands[0]?.message).toBe(`$ printf escaped > ${outside} (exit 1)`)
    expect(commands[0]?.metadata).toMatchObject({
      exit_code: 1,
      status: 'failed',
      output: expect.stringContaining('Read-only file system'),
    })
    expect(run.signalsOf('tool-call')).toHaveLength(1)
  }, 60_000)

  test('a command failing on its own, and one that succeeds, are each shown exactly once', async () => {
    const failing = await oneTurn('SCRIPT:bash sh -c "echo oops; exit 3"')
    expect(failing.eventsOf('command').map((event) => event.metadata)).toEqual([
      expect.objectContaining({ exit_code: 3, status: 'failed', output: 'oops\n' }),
    ])
    const passing = await oneTurn('SCRIPT:bash printf fine')
    expect(passing.eventsOf('command').map((event) => event.metadata)).toEqual([
      expect.objectContaining({ exit_code: 0, status: 'completed', output: 'fine' }),
    ])
  }, 90_000)
})
