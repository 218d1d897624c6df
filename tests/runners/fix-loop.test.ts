import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AgentRuntime, startAgentRuntime } from '../support/agent-runtime'
import { makeRepo } from '../support/git-repo'
import { eventsOf } from './api'

/**
 * The fix loop with the real Claude Code CLI against the scripted model server: a check that
 * fails sends the agent a follow-up with the check's name, command and output tail, and the
 * checks run again after its turn. The check prints the script the model follows next, so what
 * the model does in the fix round comes from the follow-up it was sent, nothing else.
 */

let agents: AgentRuntime
let rt: AgentRuntime['rt']
let api: AgentRuntime['api']
let repo = ''

// Passes once status.txt says "fixed"; until then it prints what it found and the next script.
const CHECK = `#!/bin/sh
if grep -qx fixed status.txt 2>/dev/null; then echo "status is fixed"; exit 0; fi
echo "status.txt says: $(cat status.txt 2>/dev/null)"
echo "SCRIPT:write-file status.txt \${NEXT:-fixed}"
exit 1
`

beforeAll(async () => {
  agents = await startAgentRuntime()
  ;({ rt, api } = agents)
  repo = makeRepo(join(agents.scratch, 'repo'), { 'README.md': 'hello\n', 'check.sh': CHECK })
})

afterAll(() => agents?.close())

describe('the fix loop (Claude Code)', () => {
  test('the first attempt leaves a failing check; the fix round, sent its name, command and output, makes it pass', async () => {
    const id = await api.create({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file status.txt broken',
      workspace: repo,
      checks: [{ name: 'status', command: 'sh check.sh' }],
      policy: { fix_rounds: 2 },
    })
    await api.run(id)
    const task = await api.until(id, ['ready-for-review', 'failed', 'stopped', 'completed'], 90_000)
    expect(task.status).toBe('ready-for-review')
    expect(readFileSync(join(task.worktree_path, 'status.txt'), 'utf8')).toBe('fixed\n')

    // Two attempts: the task's own and one fix round, each with its round of checks.
    expect(task.attempts.map((attempt: any) => attempt.status)).toEqual(['completed', 'completed'])
    const view = (await rt.call('GET', `/tasks/${id}/checks`)).body
    expect(view.fix_rounds).toBe(2)
    expect(view.runs.map((run: any) => [run.fix_round, run.trigger, run.status, run.fix_loop])).toEqual([
      [1, 'fix-round', 'passed', 'passed'],
      [0, 'attempt', 'failed', 'fixing'],
    ])
    expect(view.runs[1].attempt_id).toBe(task.attempts[0].id)
    expect(view.runs[0].attempt_id).toBe(task.attempts[1].id)
    expect(view.latest.results[0]).toMatchObject({ verdict: 'passed', output_tail: 'status is fixed' })

    // The follow-up the model got: the failing check's name, command and the tail of its output.
    const prompts = agents.promptsFrom(task.worktree_path)
    const followUp = prompts.find((prompt) => prompt.includes('fix round 1 of 2'))
    expect(followUp).toBeDefined()
    expect(followUp).toContain('Check "status" failed (exit status: 1).')
    expect(followUp).toContain('Command: sh check.sh')
    expect(followUp).toContain('status.txt says: broken')
    // It continued the same session.
    expect(task.attempts[1].runner_session_id).toBe(task.attempts[0].runner_session_id)

    // The loop says how it ended: an event and the round's field.
    const [ended] = eventsOf(task, 'fix-loop')
    expect(ended.metadata).toMatchObject({ outcome: 'passed', rounds_used: 1, fix_rounds: 2 })
    expect(eventsOf(task, 'fix-round').map((event: any) => event.metadata.round)).toEqual([1])
  })

  test('a check that keeps failing uses up the rounds and the loop says so', async () => {
    const id = await api.create({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file status.txt broken',
      workspace: repo,
      checks: [{ name: 'status', command: 'NEXT=still-broken sh check.sh' }],
      policy: { fix_rounds: 1 },
    })
    await api.run(id)
    const task = await api.until(id, ['ready-for-review', 'failed', 'stopped', 'completed'], 90_000)
    expect(task.status).toBe('ready-for-review')
    expect(readFileSync(join(task.worktree_path, 'status.txt'), 'utf8')).toBe('still-broken\n')
    expect(task.attempts).toHaveLength(2)
    const view = (await rt.call('GET', `/tasks/${id}/checks`)).body
    expect(view.runs.map((run: any) => [run.fix_round, run.status, run.fix_loop])).toEqual([
      [1, 'failed', 'exhausted'],
      [0, 'failed', 'fixing'],
    ])
    const [ended] = eventsOf(task, 'fix-loop')
    expect(ended.metadata).toMatchObject({ outcome: 'exhausted', rounds_used: 1, fix_rounds: 1 })
    expect(ended.message).toContain('used up')
  })
})

describe('acceptance criteria (Claude Code as the reviewer)', () => {
  test('after the checks a read-only reviewer grades the diff against each criterion through structured output; its tokens count on the task', async () => {
    const id = await api.create({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file notes.txt hello reviewers',
      workspace: repo,
      checks: [{ name: 'notes', command: 'test -s notes.txt' }],
      criteria: [
        'notes.txt greets with `hello reviewers`',
        'the change adds `a test`',
        'the code stays readable',
      ],
    })
    await api.run(id)
    const task = await api.until(id, ['ready-for-review', 'failed', 'stopped', 'completed'], 90_000)
    expect(task.status).toBe('ready-for-review')
    const { latest } = (await rt.call('GET', `/tasks/${id}/checks`)).body
    expect(latest.results.map((result: any) => result.verdict)).toEqual(['passed'])
    expect(latest.review_error).toBeNull()
    expect(latest.grades).toEqual([
      {
        criterion: 'notes.txt greets with `hello reviewers`',
        verdict: 'met',
        reason: 'the diff adds "hello reviewers"',
      },
      { criterion: 'the change adds `a test`', verdict: 'not_met', reason: 'no added line holds "a test"' },
      {
        criterion: 'the code stays readable',
        verdict: 'unclear',
        reason: 'nothing in the criterion to look for',
      },
    ])
    // The task went through running.review, after running.checks.
    const states = task.events
      .filter((event: any) => event.kind === 'lifecycle' && event.metadata?.state?.startsWith('running.'))
      .map((event: any) => event.metadata.state)
    expect([...new Set(states)]).toEqual(['running.agent', 'running.checks', 'running.review'])

    // The reviewer asked for structured output, from the worktree, with reading tools only.
    const review = agents.server.requests.find(
      (r) =>
        r.api === 'anthropic' && r.conversation?.structuredOutput && r.conversation.toolResults.length === 0,
    )
    expect(review).toBeDefined()
    const tools = ((review as any).body.tools as any[]).map((tool) => tool.name).sort()
    expect(tools).not.toContain('Write')
    expect(tools).not.toContain('Bash')
    expect(tools).not.toContain('Edit')
    expect(review?.conversation?.prompt).toContain('+hello reviewers')

    // Its tokens and cost are on the attempt and the task: more than the agent's own turn used.
    const usage = eventsOf(task, 'agent').filter((event: any) => event.metadata.type === 'usage')
    const agentInput = usage.reduce((sum: number, event: any) => sum + event.metadata.input_tokens, 0)
    expect(task.cost_ledger.input_tokens).toBeGreaterThan(agentInput)
    expect(task.current_attempt.cost_ledger.input_tokens).toBe(task.cost_ledger.input_tokens)
  })
})
