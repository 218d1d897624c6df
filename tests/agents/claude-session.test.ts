import { describe, expect, test } from 'bun:test'
import { claudeAdapter } from '../../src/agents'
import { FIXTURE_CWD, fixtureLines, Replay } from './replay'

/** The Claude stream-json parser and control protocol, on lines recorded from Claude Code 2.1.330. */

const lastResult = (lines: string[]) =>
  JSON.parse(lines.filter((line) => line.includes('"type":"result"')).at(-1) ?? '{}') as Record<
    string,
    number
  >

const usageSum = (replay: Replay, field: 'input_tokens' | 'output_tokens' | 'cost_usd') =>
  replay.signalsOf('usage').reduce((sum, signal) => sum + (signal[field] ?? 0), 0)

describe('claude session on recorded output', () => {
  test('turns, tool calls, approvals and denials become one event vocabulary', () => {
    const replay = new Replay(claudeAdapter)
    replay.session.begin('SCRIPT:write-file hello.txt hi')
    expect(replay.written[0]).toEqual({
      type: 'user',
      message: { role: 'user', content: [{ type: 'text', text: 'SCRIPT:write-file hello.txt hi' }] },
      parent_tool_use_id: null,
      session_id: '',
    })
    const lines = fixtureLines('claude-supervised')
    let approvals = 0
    replay.feed(lines, (signals) => {
      for (const signal of signals) {
        if (signal.type === 'approval-request') {
          approvals++
          replay.session.answerApproval(
            signal.id,
            approvals === 1 ? { allow: true } : { allow: false, message: 'no' },
          )
        }
        if (signal.type === 'turn-complete' && approvals === 1)
          replay.session.sendUserTurn('SCRIPT:bash touch')
      }
    })

    expect(replay.types()).toEqual([
      'session',
      'assistant_text',
      'tool_call',
      'approval_request',
      'tool_result',
      'assistant_text',
      'result',
      'usage',
      'assistant_text',
      'tool_call',
      'approval_request',
      'tool_result',
      'assistant_text',
      'permission_denied',
      'result',
      'usage',
    ])
    expect(
      replay.events.every((event) => event.kind === 'stdout' && event.metadata?.category === 'agent'),
    ).toBe(true)
    // system/init repeats at each turn; the session is announced once.
    expect(replay.signalsOf('session')).toHaveLength(1)
    expect(replay.eventsOf('tool_call').map((e) => e.message)).toEqual([
      'Write hello.txt',
      '$ touch denied.txt',
    ])
    expect(replay.eventsOf('tool_call')[0]?.metadata).toMatchObject({
      tool: 'Write',
      input: { file_path: `${FIXTURE_CWD}/hello.txt`, content: 'hi\n' },
      call_id: expect.stringMatching(/^toolu_/),
    })
    expect(replay.eventsOf('tool_result')[1]?.metadata).toMatchObject({ output: 'not today', is_error: true })
    expect(replay.eventsOf('permission_denied')[0]?.message).toBe('Denied: $ touch denied.txt')
    expect(replay.signalsOf('tool-call')).toHaveLength(2)
    expect(replay.signalsOf('turn-complete').map((s) => s.isError)).toEqual([false, false])

    const [allow, deny] = replay.written.filter((message) => message.type === 'control_response')
    expect(allow).toMatchObject({
      response: {
        subtype: 'success',
        response: {
          behavior: 'allow',
          updatedInput: { file_path: `${FIXTURE_CWD}/hello.txt`, content: 'hi\n' },
        },
      },
    })
    expect(deny).toMatchObject({ response: { response: { behavior: 'deny', message: 'no' } } })

    // Two turns of two requests each; the CLI's cumulative cost equals the sum of the deltas.
    expect(usageSum(replay, 'input_tokens')).toBe(400)
    expect(usageSum(replay, 'output_tokens')).toBe(80)
    expect(usageSum(replay, 'cost_usd')).toBeCloseTo(lastResult(lines).total_cost_usd ?? Number.NaN, 12)
  })

  test('an interrupt is a control request, and the interrupted turn still counts its usage', () => {
    const replay = new Replay(claudeAdapter, { permissionMode: 'auto' })
    expect(replay.session.interrupt()).toBe(false)
    replay.session.begin('SCRIPT:long 60')
    const lines = fixtureLines('claude-interrupt')
    replay.feed(lines, (signals, line) => {
      if (line.includes('Working on a long task')) expect(replay.session.interrupt()).toBe(true)
      if (signals.some((s) => s.type === 'turn-complete') && replay.signalsOf('turn-complete').length === 1) {
        expect(replay.session.interrupt()).toBe(false)
        replay.session.sendUserTurn('SCRIPT:echo after')
      }
    })
    expect(replay.written[1]).toEqual({
      type: 'control_request',
      request_id: expect.any(String),
      request: { subtype: 'interrupt' },
    })
    expect(replay.signalsOf('turn-complete').map((s) => s.isError)).toEqual([true, false])
    expect(replay.eventsOf('notice').map((e) => e.message)).toEqual(['[Request interrupted by user]'])
    expect(replay.eventsOf('result')[0]?.metadata).toMatchObject({
      is_error: true,
      status: 'error_during_execution',
    })
    // result.usage of the interrupted turn is all zeros; the partial request is still paid for.
    expect(replay.signalsOf('usage')[0]).toMatchObject({ input_tokens: 100, output_tokens: 8 })
    expect(usageSum(replay, 'cost_usd')).toBeCloseTo(lastResult(lines).total_cost_usd ?? Number.NaN, 12)
  })

  test('a resumed process counts only its own usage although the CLI reports session totals', () => {
    const replay = new Replay(claudeAdapter, { permissionMode: 'auto', resumeSessionId: 'x' })
    const lines = fixtureLines('claude-resume')
    replay.feed(lines)
    const [usage] = replay.signalsOf('usage')
    expect(usage).toMatchObject({
      input_tokens: 1000,
      output_tokens: 50,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
    })
    expect(usage?.cost_usd).toBeCloseTo(0.005, 12)
    expect(lastResult(lines).total_cost_usd).toBeGreaterThan(0.008)
  })

  test('without per-result model usage (older CLIs), cost deltas come from the process total', () => {
    const replay = new Replay(claudeAdapter)
    const result = (cost: number, input: number) =>
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 1,
        duration_ms: 5,
        total_cost_usd: cost,
        usage: {
          input_tokens: input,
          output_tokens: 2,
          cache_read_input_tokens: 3,
          cache_creation_input_tokens: 4,
        },
      })
    replay.feed([result(0.5, 10), result(0.75, 20)])
    expect(replay.signalsOf('usage')).toEqual([
      {
        type: 'usage',
        input_tokens: 10,
        output_tokens: 2,
        cache_read_tokens: 3,
        cache_write_tokens: 4,
        cost_usd: 0.5,
      },
      {
        type: 'usage',
        input_tokens: 20,
        output_tokens: 2,
        cache_read_tokens: 3,
        cache_write_tokens: 4,
        cost_usd: 0.25,
      },
    ])
  })

  test('errors, unknown lines and stderr are kept, never dropped', () => {
    const replay = new Replay(claudeAdapter)
    replay.feed([
      'not json at all',
      '{"type":"rate_limit_event","rate_limit_info":{}}',
      '{"type":"system","subtype":"api_retry","attempt":1,"max_retries":1,"error_status":500}',
      JSON.stringify({
        type: 'assistant',
        message: { model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 500 boom' }] },
      }),
      JSON.stringify({
        type: 'result',
        subtype: 'success',
        is_error: true,
        result: 'API Error: 500 boom',
        num_turns: 1,
      }),
    ])
    expect(replay.types()).toEqual(['raw', 'raw', 'notice', 'error', 'result'])
    expect(replay.events[0]?.message).toBe('not json at all')
    expect(replay.events[3]?.kind).toBe('error')
    expect(replay.eventsOf('result')[0]?.message).toBe('Turn failed (success): API Error: 500 boom')
    expect(replay.signalsOf('turn-complete')).toEqual([{ type: 'turn-complete', isError: true }])
    const stderr = replay.session.onStderrLine('warning: something')
    expect(stderr.events[0]).toMatchObject({ kind: 'stderr', message: 'warning: something' })
  })

  test('unsupported control requests are refused, and withdrawn approvals cannot be answered', () => {
    const replay = new Replay(claudeAdapter)
    replay.feed([
      '{"type":"control_request","request_id":"h1","request":{"subtype":"hook_callback","callback_id":"x"}}',
      '{"type":"control_request","request_id":"p1","request":{"subtype":"can_use_tool","tool_name":"Bash","input":{"command":"ls"}}}',
      '{"type":"control_cancel_request","request_id":"p1"}',
    ])
    expect(replay.written[0]).toMatchObject({
      type: 'control_response',
      response: { subtype: 'error', request_id: 'h1' },
    })
    expect(replay.signalsOf('approval-request')).toEqual([
      { type: 'approval-request', id: 'p1', tool: 'Bash', input: { command: 'ls' } },
    ])
    expect(replay.session.answerApproval('p1', { allow: true })).toBe(false)
    expect(replay.written).toHaveLength(1)
  })
})
