import { expect } from 'bun:test'
import { claudeAdapter } from '../../src/agents'
import { DEFAULT_USAGE } from '../support/model-server'
import { type AgentRun, totalUsage } from './harness'
import { describeCliContract } from './session-contract'

/** The real Claude Code CLI, driven through the adapter against the scripted model server. */

/** The CLI's own cumulative cost for the process, from its last `result` line. */
const reportedCostUsd = (run: AgentRun): number =>
  JSON.parse(run.stdoutLines.filter((line) => line.includes('"type":"result"')).at(-1) ?? '{}').total_cost_usd

describeCliContract({
  title: 'claude-code adapter with the real CLI',
  runner: 'claude',
  adapter: claudeAdapter,
  api: 'anthropic',
  gatedShell: 'bash',
  fileEdit: {
    afterFirstTurn(run) {
      expect(run.signalsOf('session').map((s) => s.id)).toEqual([run.launch.sessionId as string])
      expect(run.eventsOf('tool_call')[0]?.message).toBe('Write hello.txt')
    },
    usage(run, requests) {
      const total = totalUsage(run)
      expect(total).toMatchObject({
        input_tokens: requests * DEFAULT_USAGE.input,
        output_tokens: requests * DEFAULT_USAGE.output,
        cache_read_tokens: requests * DEFAULT_USAGE.cacheRead,
        cache_write_tokens: requests * DEFAULT_USAGE.cacheWrite,
      })
      expect(total.cost_usd).toBeCloseTo(reportedCostUsd(run), 9)
    },
  },
  resume: {
    firstPrompt: 'SCRIPT:echo first',
    resumedPrompt: 'SCRIPT:usage 1000 50 0 0',
    // The transcript keeps the session's last prompt as its title.
    title: 'SCRIPT:usage 1000 50 0 0',
    afterResume(first, resumed, requests) {
      expect(resumed.launch.argv).toContain('--resume')
      expect(requests.at(-1)?.conversation?.promptCount).toBe(2)
      // The resumed process reports session-wide totals; only this turn's request may count.
      expect(totalUsage(resumed)).toMatchObject({
        input_tokens: 1000,
        output_tokens: 50,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      })
      const firstCost = totalUsage(first).cost_usd
      expect(firstCost).toBeGreaterThan(0)
      expect(firstCost + totalUsage(resumed).cost_usd).toBeCloseTo(reportedCostUsd(resumed), 9)
    },
  },
  allowed: {
    prompt: 'SCRIPT:write-file allowed.txt allowed',
    content: 'allowed\n',
    toolResult: 'File created',
    approval(approval) {
      expect(approval.tool).toBe('Write')
    },
    afterAllow(run, approval) {
      expect(run.session.answerApproval(approval.id, { allow: true })).toBe(false)
    },
  },
  denied: {
    prompt: 'SCRIPT:bash echo no > denied.txt',
    toolResult: 'not today',
    approval(approval) {
      expect(approval.tool).toBe('Bash')
      expect(approval.input).toMatchObject({ command: 'echo no > denied.txt' })
    },
    afterTurn(run) {
      expect(run.eventsOf('tool_result')[0]?.metadata).toMatchObject({ is_error: true })
    },
  },
})
