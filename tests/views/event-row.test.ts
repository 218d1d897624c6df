import { describe, expect, test } from 'bun:test'
import type { JsonObject, TaskEvent } from '../../src/domain'
import { splitFences } from '../../src/views/agent-text'
import { ansiToHtml } from '../../src/views/ansi'
import { describeEvent, EventRow, eventRows } from '../../src/views/event-row'

const PAYLOAD = '<img src=x onerror=alert(1)>'

function event(
  kind: TaskEvent['kind'],
  message: string,
  metadata: JsonObject | null = null,
  seq = 1,
): TaskEvent {
  return {
    id: String(seq),
    task_id: 't',
    seq,
    attempt_id: null,
    kind,
    message,
    metadata,
    created_at: '2026-01-02T03:04:05.000Z',
  }
}

const agent = (type: string, message: string, fields: JsonObject = {}, kind: TaskEvent['kind'] = 'stdout') =>
  event(kind, message, { category: 'agent', type, runner: 'claude-code', ...fields })

const render = (e: TaskEvent) => EventRow({ event: e }) as string

describe('ansiToHtml', () => {
  test('escapes plain text and turns colour codes into classed spans', () => {
    expect(ansiToHtml(`a ${PAYLOAD} & b`)).toBe('a &lt;img src=x onerror=alert(1)&gt; &amp; b')
    const coloured = ansiToHtml(`\x1b[31m${PAYLOAD}\x1b[0m`)
    expect(coloured).toContain('class="ansi-red-fg"')
    expect(coloured).toContain('&lt;img')
    expect(coloured).not.toContain('<img')
    expect(coloured).not.toContain('\x1b')
  })
})

describe('splitFences', () => {
  test('separates prose from fenced code, with its language; an unclosed fence runs to the end', () => {
    expect(splitFences('Here:\n```ts\nconst a = 1\n```\nDone.')).toEqual([
      { kind: 'prose', text: 'Here:' },
      { kind: 'code', text: 'const a = 1', language: 'ts' },
      { kind: 'prose', text: 'Done.' },
    ])
    expect(splitFences('```\nopen')).toEqual([{ kind: 'code', text: 'open', language: undefined }])
    expect(splitFences('no code')).toEqual([{ kind: 'prose', text: 'no code' }])
  })
})

describe('event rows', () => {
  test('every kind of text is escaped: messages, tool inputs, outputs, file paths', () => {
    const events = [
      event('stdout', PAYLOAD),
      event('stderr', PAYLOAD),
      event('lifecycle', PAYLOAD, { category: 'created' }),
      event('input', PAYLOAD),
      event('diff', PAYLOAD),
      agent('assistant_text', `${PAYLOAD}\n\`\`\`html\n${PAYLOAD}\n\`\`\` and \`${PAYLOAD}\``),
      agent('thinking', PAYLOAD),
      agent('tool_call', PAYLOAD, { tool: PAYLOAD, input: { command: PAYLOAD } }),
      agent('tool_result', PAYLOAD, { output: `${PAYLOAD}\n${PAYLOAD}`, is_error: true }),
      agent('command', `$ ${PAYLOAD}`, { output: PAYLOAD, exit_code: 1 }),
      agent('file_change', PAYLOAD, { changes: [{ path: PAYLOAD, kind: PAYLOAD, diff: PAYLOAD }] }),
      agent('approval_request', PAYLOAD, { input: PAYLOAD }),
      agent('error', PAYLOAD, {}, 'error'),
      agent(PAYLOAD, PAYLOAD),
    ]
    for (const e of events) {
      const html = render(e)
      expect(html).not.toContain('<img')
      expect(html).toContain('&lt;img')
    }
  })

  test('tones mark errors, approvals and terminal output; labels say what happened', () => {
    expect(describeEvent(event('stdout', 'x')).tone).toBe('out')
    expect(describeEvent(event('stderr', 'x')).tone).toBe('err')
    expect(describeEvent(event('lifecycle', 'x', { category: 'attempt-failed' }))).toMatchObject({
      tone: 'error',
      label: 'failed',
    })
    expect(describeEvent(event('lifecycle', 'x', { category: 'needs-input' })).tone).toBe('attention')
    expect(describeEvent(agent('approval_request', 'Approval needed: Bash')).tone).toBe('attention')
    expect(describeEvent(agent('command', '$ false', { exit_code: 2 }))).toMatchObject({
      tone: 'error',
      label: 'exit 2',
    })
    expect(describeEvent(agent('tool_call', 'Write a.txt', { tool: 'Write' })).label).toBe('Write')
    expect(describeEvent(agent('raw', 'x', {}, 'stderr')).tone).toBe('err')
  })

  test('an assistant message keeps its code blocks as code', () => {
    const html = render(agent('assistant_text', 'Run:\n```sh\nls -la\n```'))
    expect(html).toContain('<pre class="code" data-lang="sh"><code>ls -la</code></pre>')
  })

  test('usage shows tokens and cost; rows carry their seq and come out in order', () => {
    const usage = render(agent('usage', '', { input_tokens: 1200, output_tokens: 34, cost_usd: 0.125 }))
    expect(usage).toContain('1,200 in · 34 out tokens · $0.13')
    const rows = eventRows([event('stdout', 'a', null, 7), event('stdout', 'b', null, 8)])
    expect(rows.indexOf('data-seq="7"')).toBeLessThan(rows.indexOf('data-seq="8"'))
    expect(rows).toContain('id="ev-8"')
  })
})
