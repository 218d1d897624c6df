import { describe, expect, test } from 'bun:test'
import {
  codexAdapter,
  codexCostUsd,
  createCodexAdapter,
  DEFAULT_CODEX_PRICES,
  priceFor,
} from '../../src/agents'
import { UnstreamedCommands } from '../../src/agents/codex/unstreamed-commands'
import { FIXTURE_CWD, fixtureLines, Replay } from './replay'

/** The Codex app-server JSON-RPC client, on lines recorded from codex-cli 0.169.0. */

const MODEL = 'gpt-5.5'

describe('codex session on recorded output', () => {
  test('the handshake opens a thread and each prompt becomes a turn', () => {
    const replay = new Replay(codexAdapter, { model: MODEL })
    replay.session.begin('SCRIPT:write-file hello.txt hi')
    // Nothing but the handshake until the thread exists; the prompt waits for it.
    expect(replay.written.map((m) => m.method)).toEqual(['initialize'])
    let approvals = 0
    replay.feed(fixtureLines('codex-supervised'), (signals) => {
      for (const signal of signals) {
        if (signal.type === 'approval-request') {
          approvals++
          replay.session.answerApproval(signal.id, { allow: false })
        }
        if (signal.type === 'turn-complete' && replay.signalsOf('turn-complete').length === 1)
          replay.session.sendUserTurn('SCRIPT:escalate touch denied.txt')
      }
    })
    expect(replay.written).toEqual([
      { method: 'initialize', id: 1, params: expect.objectContaining({ clientInfo: expect.any(Object) }) },
      { method: 'initialized' },
      {
        method: 'thread/start',
        id: 2,
        params: {
          cwd: FIXTURE_CWD,
          approvalPolicy: 'on-request',
          sandbox: 'workspace-write',
          model: MODEL,
          experimentalRawEvents: true,
        },
      },
      {
        method: 'turn/start',
        id: 3,
        params: {
          threadId: expect.any(String),
          input: [{ type: 'text', text: 'SCRIPT:write-file hello.txt hi', text_elements: [] }],
        },
      },
      { method: 'turn/start', id: 4, params: expect.objectContaining({ threadId: expect.any(String) }) },
      { id: 0, result: { decision: 'decline' } },
    ])
    expect(approvals).toBe(1)
    expect(replay.types()).toEqual([
      'session',
      'assistant_text',
      'file_change',
      'usage',
      'assistant_text',
      'usage',
      'result',
      'assistant_text',
      'approval_request',
      'command',
      'permission_denied',
      'usage',
      'assistant_text',
      'usage',
      'result',
    ])
    expect(replay.eventsOf('file_change')[0]?.metadata).toMatchObject({
      changes: [{ path: 'hello.txt', kind: 'add', diff: 'hi\n' }],
      status: 'completed',
    })
    expect(replay.eventsOf('approval_request')[0]?.message).toBe('Approval needed: $ touch denied.txt')
    expect(replay.eventsOf('command')[0]).toMatchObject({
      message: '$ touch denied.txt (declined)',
      metadata: { status: 'declined', exit_code: null },
    })
    expect(replay.signalsOf('tool-call')).toHaveLength(2)
    expect(replay.signalsOf('turn-complete').map((s) => s.isError)).toEqual([false, false])
    // Four model requests, each 100 uncached + 30 cached in, 20 out; totals are cumulative in the stream.
    const tokens = { input_tokens: 100, output_tokens: 20, cache_read_tokens: 30, cache_write_tokens: 0 }
    expect(replay.signalsOf('usage')).toEqual(
      Array(4).fill({ type: 'usage', ...tokens, cost_usd: codexCostUsd(MODEL, tokens) }),
    )
  })

  test('a resumed thread ignores the replayed total and answers approvals', () => {
    const replay = new Replay(codexAdapter, { resumeSessionId: '01a20a53-858d-77c2-bcb6-5105367b4147' })
    replay.session.begin('SCRIPT:escalate touch allowed.txt')
    replay.feed(fixtureLines('codex-resume'), (signals) => {
      for (const signal of signals)
        if (signal.type === 'approval-request') {
          expect(replay.session.answerApproval(signal.id, { allow: true })).toBe(true)
          expect(replay.session.answerApproval(signal.id, { allow: true })).toBe(false)
        }
    })
    expect(replay.written[2]).toEqual({
      method: 'thread/resume',
      id: 2,
      params: {
        threadId: '01a20a53-858d-77c2-bcb6-5105367b4147',
        cwd: FIXTURE_CWD,
        approvalPolicy: 'on-request',
        sandbox: 'workspace-write',
        excludeTurns: true,
      },
    })
    expect(replay.written.at(-1)).toEqual({ id: 0, result: { decision: 'accept' } })
    expect(replay.eventsOf('command')[0]?.metadata).toMatchObject({ status: 'completed', exit_code: 0 })
    expect(replay.signalsOf('usage').map((s) => s.input_tokens)).toEqual([100, 100])
  })

  test('without the replayed total, a resumed thread takes the first delta from `last`', () => {
    const replay = new Replay(codexAdapter, { resumeSessionId: 't' })
    const lines = fixtureLines('codex-resume').filter(
      (line) => !(line.includes('tokenUsage/updated') && line.includes('"totalTokens":600')),
    )
    replay.session.begin('x')
    replay.feed(lines)
    expect(replay.signalsOf('usage').map((s) => s.input_tokens)).toEqual([100, 100])
  })

  test('interrupt asks Codex to stop the running turn', () => {
    const replay = new Replay(codexAdapter, { permissionMode: 'auto' })
    replay.session.begin('SCRIPT:long 60')
    expect(replay.session.interrupt()).toBe(false)
    replay.feed(fixtureLines('codex-interrupt'), (signals, line) => {
      if (line.includes('"item/completed"') && line.includes('Working on a long task'))
        expect(replay.session.interrupt()).toBe(true)
      if (signals.some((s) => s.type === 'turn-complete') && replay.signalsOf('turn-complete').length === 1) {
        expect(replay.session.interrupt()).toBe(false)
        replay.session.sendUserTurn('SCRIPT:echo after')
      }
    })
    expect(replay.written[2]).toMatchObject({ method: 'thread/start', params: { approvalPolicy: 'never' } })
    const interrupt = replay.written.find((m) => m.method === 'turn/interrupt')
    expect(interrupt).toEqual({
      method: 'turn/interrupt',
      id: 4,
      params: { threadId: expect.any(String), turnId: expect.any(String) },
    })
    expect(replay.signalsOf('turn-complete').map((s) => s.isError)).toEqual([true, false])
    expect(replay.eventsOf('result').map((e) => e.message)).toEqual([
      'Turn interrupted',
      expect.stringMatching(/^Turn completed \(1 model call, \d+ ms\)$/),
    ])
  })

  test('errors end the pending turn, and unknown traffic is kept raw or refused', () => {
    const replay = new Replay(codexAdapter)
    replay.session.begin('hello')
    replay.feed([
      '{"id":1,"result":{}}',
      '{"id":2,"error":{"code":-32600,"message":"bad cwd"}}',
      '{"method":"error","params":{"error":{"message":"stream lost"},"willRetry":true}}',
      '{"method":"error","params":{"error":{"message":"quota exceeded"},"willRetry":false}}',
      '{"method":"some/new/notification","params":{}}',
      '{"method":"item/tool/requestUserInput","id":7,"params":{}}',
      'plain text',
    ])
    expect(replay.types()).toEqual(['error', 'notice', 'error', 'raw', 'notice', 'raw'])
    expect(replay.events[0]).toMatchObject({ kind: 'error', message: 'Codex rejected thread/start: bad cwd' })
    expect(replay.signalsOf('turn-complete')).toEqual([{ type: 'turn-complete', isError: true }])
    expect(replay.written.at(-1)).toMatchObject({ id: 7, error: { code: -32601 } })
    const stderr = replay.session.onStderrLine('\u001b[31mERROR\u001b[0m codex_core: boom')
    expect(stderr.events[0]).toMatchObject({ kind: 'stderr', message: 'ERROR codex_core: boom' })
  })

  test('cost comes from a configurable price table', () => {
    expect(priceFor('gpt-5.5')).toBe(DEFAULT_CODEX_PRICES['gpt-5'])
    expect(priceFor('gpt-5-mini-2026')).toBe(DEFAULT_CODEX_PRICES['gpt-5-mini'])
    expect(
      codexCostUsd('unknown-model', { input_tokens: 1, cache_read_tokens: 0, output_tokens: 0 }),
    ).toBeUndefined()
    const tokens = { input_tokens: 1_000_000, cache_read_tokens: 1_000_000, output_tokens: 1_000_000 }
    expect(codexCostUsd('gpt-5', tokens)).toBeCloseTo(1.25 + 0.125 + 10, 9)

    const cheap = createCodexAdapter({ prices: { 'gpt-5.5': { input: 1, cachedInput: 0, output: 0 } } })
    const replay = new Replay(cheap, { model: MODEL })
    replay.session.begin('SCRIPT:write-file hello.txt hi')
    replay.feed(fixtureLines('codex-supervised').slice(0, 20))
    expect(replay.signalsOf('usage')[0]?.cost_usd).toBeCloseTo(100 / 1_000_000, 12)
  })
})

describe('commands Codex ran but did not stream', () => {
  // The raw Responses API items of a sandbox denial, as codex-cli 0.169.0 sends them.
  const call = {
    type: 'function_call',
    name: 'exec_command',
    arguments: '{"cmd":"printf x > /var/tmp/out.txt"}',
    call_id: 'call_1',
  }
  const output = {
    type: 'function_call_output',
    call_id: 'call_1',
    output:
      'Chunk ID: 30f30f\nWall time: 0.0000 seconds\nProcess exited with code 1\nOriginal token count: 16\nOutput:\n/bin/bash: line 1: /var/tmp/out.txt: Read-only file system\n',
  }

  test('a shell call whose output arrives without a streamed item becomes a command item', () => {
    const unstreamed = new UnstreamedCommands()
    expect(unstreamed.rawItem(call)).toBeNull()
    expect(unstreamed.rawItem(output)).toEqual({
      type: 'commandExecution',
      id: 'call_1',
      command: 'printf x > /var/tmp/out.txt',
      aggregatedOutput: '/bin/bash: line 1: /var/tmp/out.txt: Read-only file system\n',
      exitCode: 1,
      status: 'failed',
    })
    // Each output is taken once.
    expect(unstreamed.rawItem(output)).toBeNull()
  })

  test('a streamed command is not shown twice; other tools and unknown calls are left alone', () => {
    const unstreamed = new UnstreamedCommands()
    unstreamed.rawItem(call)
    unstreamed.noteItem({ type: 'commandExecution', id: 'call_1' })
    expect(unstreamed.rawItem(output)).toBeNull()
    unstreamed.rawItem({ ...call, name: 'write_stdin', call_id: 'call_2' })
    expect(unstreamed.rawItem({ ...output, call_id: 'call_2' })).toBeNull()
    expect(unstreamed.rawItem({ ...output, call_id: 'never_called' })).toBeNull()
  })

  test('the older shell tool, and an output given as content items without an exit line', () => {
    const unstreamed = new UnstreamedCommands()
    unstreamed.rawItem({
      type: 'function_call',
      name: 'shell',
      arguments: '{"command":["bash","-lc","ls"]}',
      call_id: 'c',
    })
    expect(
      unstreamed.rawItem({
        type: 'function_call_output',
        call_id: 'c',
        output: [{ type: 'input_text', text: 'a\nb' }],
      }),
    ).toMatchObject({ command: 'bash -lc ls', aggregatedOutput: 'a\nb', exitCode: null, status: null })
  })
})
