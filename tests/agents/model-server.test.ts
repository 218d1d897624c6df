import { afterAll, describe, expect, test } from 'bun:test'
import { DEFAULT_USAGE, startModelServer } from '../support/model-server'

/** The scripted model server the CLI tests rely on, checked on its own. */

const server = startModelServer()
afterAll(() => server.stop())

const anthropicBody = (messages: unknown[], stream: boolean) => ({
  model: 'claude-test',
  stream,
  tools: [{ name: 'Write' }],
  system: [{ type: 'text', text: 'You are an agent.' }],
  messages: [
    { role: 'system', content: [{ type: 'text', text: ' - Primary working directory: /work/repo\n' }] },
    ...messages,
  ],
})

const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('scripted model server', () => {
  test('plans from the history: a tool call first, a summary once the result is back', async () => {
    const prompt = {
      role: 'user',
      content: [
        { type: 'text', text: '<system-reminder>x</system-reminder>' },
        { type: 'text', text: 'SCRIPT:write-file a.txt hi' },
      ],
    }
    const first = await (await post('/v1/messages?beta=true', anthropicBody([prompt], false))).json()
    expect(first).toMatchObject({
      type: 'message',
      stop_reason: 'tool_use',
      content: [
        { type: 'text' },
        { type: 'tool_use', name: 'Write', input: { file_path: '/work/repo/a.txt', content: 'hi\n' } },
      ],
      usage: { input_tokens: DEFAULT_USAGE.input, output_tokens: DEFAULT_USAGE.output },
    })
    const result = {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'x', content: 'File created' }],
    }
    const second = await post('/v1/messages?beta=true', anthropicBody([prompt, first, result], true))
    const sse = await second.text()
    expect(second.headers.get('content-type')).toContain('text/event-stream')
    expect(sse).toStartWith('event: message_start\ndata: ')
    expect(sse).toContain('Tool done: File created')
    expect(sse).toContain('"stop_reason":"end_turn"')
  })

  test('speaks the Responses API with tool calls Codex understands', async () => {
    const input = [
      {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: '<environment_context><cwd>/r</cwd>' }],
      },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'SCRIPT:escalate touch x' }] },
    ]
    const sse = await (await post('/v1/responses', { model: 'gpt-test', input })).text()
    const events = sse
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)))
    const call = events.find((event) => event.item?.type === 'function_call')?.item
    expect(call.name).toBe('exec_command')
    expect(JSON.parse(call.arguments)).toMatchObject({
      cmd: 'touch x',
      sandbox_permissions: 'require_escalated',
    })
    expect(events.at(-1)).toMatchObject({
      type: 'response.completed',
      response: { usage: { input_tokens: DEFAULT_USAGE.input + DEFAULT_USAGE.cacheRead } },
    })
    expect(server.requests.at(-1)?.conversation).toMatchObject({
      cwd: '/r',
      prompt: 'SCRIPT:escalate touch x',
    })
  })

  test('refuses and records attempts to reach other hosts through it', async () => {
    const before = server.outsideAttempts.length
    await expect(fetch('https://example.invalid/', { proxy: server.url })).rejects.toThrow()
    expect(server.outsideAttempts.slice(before)).toEqual(['example.invalid:443'])
  })
})
