import { describe, expect, test } from 'bun:test'
import type { JsonObject, TaskEvent, TaskView, ToolApproval } from '../../src/domain'
import { allowedActions } from '../../src/views/actions'
import { AgentText } from '../../src/views/agent-text'
import { eventRows } from '../../src/views/event-row'
import { olderPage, Timeline } from '../../src/views/timeline'

/**
 * An agent's run as a conversation: every kind of agent event rendered with hostile content, read
 * back through a real HTML parser (HTMLRewriter), so "escaped" means no element or attribute the
 * run wrote exists in the parsed page.
 */

const PAYLOAD = '<img src=x onerror=alert(1)><script>alert(2)</script>'

let seq = 0
function event(kind: TaskEvent['kind'], message: string, metadata: JsonObject | null = null): TaskEvent {
  seq++
  return {
    id: `e${seq}`,
    task_id: 't1',
    seq,
    attempt_id: 'att-1',
    kind,
    message,
    metadata,
    created_at: '2026-01-02T03:04:05.000Z',
  }
}
const agent = (type: string, message: string, fields: JsonObject = {}, kind: TaskEvent['kind'] = 'stdout') =>
  event(kind, message, { category: 'agent', type, runner: 'claude-code', ...fields })

function approval(fields: Partial<ToolApproval> = {}): ToolApproval {
  return {
    id: 'ap1',
    task_id: 't1',
    attempt_id: 'att-1',
    request_id: 'req-1',
    tool: 'Bash',
    input: { command: 'touch x' },
    status: 'pending',
    decided_by: null,
    decided_at: null,
    message: null,
    created_at: '2026-01-02T03:04:05.000Z',
    ...fields,
  }
}

// HTMLRewriter hands text and attribute values over undecoded.
const NAMED: Record<string, string> = { quot: '"', apos: "'", lt: '<', gt: '>', amp: '&', nbsp: '\u00a0' }
const decode = (text: string) =>
  text.replace(/&(#x[\da-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] !== '#') return NAMED[name] ?? whole
    return String.fromCodePoint(
      name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1)),
    )
  })

interface Parsed {
  tags: string[]
  /** Every attribute of every element, as `tag attr=value` (values undecoded). */
  attributes: { tag: string; name: string; value: string }[]
  text: string
}

/** The elements, attributes and text a browser-grade parser finds in the markup. */
async function parse(html: string): Promise<Parsed> {
  const parsed: Parsed = { tags: [], attributes: [], text: '' }
  await new HTMLRewriter()
    .on('*', {
      element(element) {
        parsed.tags.push(element.tagName)
        for (const [name, value] of element.attributes)
          parsed.attributes.push({ tag: element.tagName, name, value })
      },
      text(chunk) {
        parsed.text += chunk.text
      },
    })
    .transform(new Response(html))
    .text()
  parsed.text = decode(parsed.text)
  return parsed
}

/** Nothing the run wrote became an element, an event handler or a script URL. */
async function expectInert(html: string): Promise<Parsed> {
  const parsed = await parse(html)
  expect(parsed.tags).not.toContain('img')
  expect(parsed.tags).not.toContain('script')
  expect(parsed.attributes.filter((a) => a.name.startsWith('on'))).toEqual([])
  for (const a of parsed.attributes.filter((a) => a.name === 'href'))
    expect(a.value).toMatch(/^(https?:\/\/|\/|#)/)
  return parsed
}

const attrsOf = (parsed: Parsed, name: string) =>
  parsed.attributes.filter((a) => a.name === name).map((a) => decode(a.value))

describe('assistant text', () => {
  test('a safe Markdown subset: paragraphs, lists, code, emphasis, quotes', async () => {
    const html = AgentText({
      text: 'First *para* with `code` and **bold**.\n\n- one\n- two\n\n1. first\n\n> quoted\n\n```ts\nconst a = 1 < 2\n```',
    }) as string
    const parsed = await expectInert(html)
    for (const tag of ['p', 'em', 'code', 'strong', 'ul', 'ol', 'li', 'blockquote', 'pre'])
      expect(parsed.tags).toContain(tag)
    expect(parsed.tags.filter((tag) => tag === 'li')).toHaveLength(3)
    expect(html).toContain('const a = 1 &lt; 2')
  })

  test('HTML in any piece of the text stays text, inside code, emphasis, lists and link labels alike', async () => {
    const html = AgentText({
      text: `${PAYLOAD}\n\n*${PAYLOAD}* \`${PAYLOAD}\`\n\n- ${PAYLOAD}\n\n[${PAYLOAD}](https://example.com/)\n\n\`\`\`html\n${PAYLOAD}\n\`\`\``,
    }) as string
    const parsed = await expectInert(html)
    expect(parsed.text.split('<img src=x onerror=alert(1)>').length - 1).toBeGreaterThanOrEqual(5)
  })

  test('links: only http(s) targets become links (rel=noopener); others are shown as text', async () => {
    const hostile = [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      '//evil.example/x',
      '/relative',
      'javascript&#58;alert(1)',
      'file:///etc/passwd',
    ]
    const html = AgentText({
      text: [
        '[good](https://example.com/a?b="c"&d=<e>)',
        '[plain](http://example.com)',
        ...hostile.map((url) => `[bad](${url})`),
      ].join('\n\n'),
    }) as string
    const parsed = await expectInert(html)
    const links = parsed.attributes.filter((a) => a.tag === 'a')
    expect(attrsOf(parsed, 'href')).toEqual([
      'https://example.com/a?b=%22c%22&d=%3Ce%3E',
      'http://example.com/',
    ])
    expect(links.filter((a) => a.name === 'rel').map((a) => a.value)).toEqual([
      'noopener noreferrer nofollow',
      'noopener noreferrer nofollow',
    ])
    for (const url of hostile.filter((url) => !url.includes('<'))) expect(parsed.text).toContain(url)
  })
})

describe('tool cards', () => {
  test('a tool call and its result in one batch are one folded card with the input and the result inside', async () => {
    const call = agent('tool_call', `$ ${PAYLOAD}`, {
      tool: 'Bash',
      input: { command: `echo ${PAYLOAD}` },
      call_id: 'toolu_1',
    })
    const result = agent('tool_result', PAYLOAD, {
      call_id: 'toolu_1',
      output: `out ${PAYLOAD}`,
      is_error: false,
    })
    const html = eventRows([call, result])
    const parsed = await expectInert(html)
    expect(attrsOf(parsed, 'data-seq')).toEqual([String(call.seq)])
    expect(parsed.tags.filter((tag) => tag === 'details')).toHaveLength(1)
    expect(parsed.text).toContain(`$ echo ${PAYLOAD}`)
    expect(parsed.text).toContain(`out ${PAYLOAD}`)
    expect(parsed.text).toContain('done')
  })

  test('a result streamed after its call carries the card key and the parts timeline.js moves in', async () => {
    const call = agent('tool_call', 'Read a', {
      tool: 'Read',
      input: { file_path: 'a' },
      call_id: `"><b ${PAYLOAD}`,
    })
    const result = agent('tool_result', 'Error: boom', {
      call_id: `"><b ${PAYLOAD}`,
      output: 'Exit code 3\nboom',
      is_error: true,
    })
    const card = await expectInert(eventRows([call]))
    const row = await expectInert(eventRows([result]))
    const key = attrsOf(card, 'data-card')
    expect(key).toEqual([`call:att-1:"><b ${PAYLOAD}`])
    expect(attrsOf(row, 'data-attach')).toEqual(key)
    expect(attrsOf(card, 'data-slot')).toEqual(['status', 'body'])
    expect(attrsOf(row, 'data-fill')).toEqual(['status', 'body'])
    expect(card.text).toContain('No result yet.')
    expect(row.text).toContain('exit 3')
    expect(card.tags).not.toContain('b')
  })

  test("Claude's Edit, Write and MultiEdit show the edit's own diff, with hostile names and lines escaped", async () => {
    const path = `/repo/${PAYLOAD}\n+++ b/injected`
    const edit = agent('tool_call', 'Edit', {
      tool: 'Edit',
      input: { file_path: path, old_string: `keep\n${PAYLOAD} old`, new_string: `keep\n${PAYLOAD} new` },
      call_id: 'e1',
    })
    const write = agent('tool_call', 'Write', {
      tool: 'Write',
      input: { file_path: 'w.txt', content: `line 1\n${PAYLOAD}\n` },
      call_id: 'e2',
    })
    const multi = agent('tool_call', 'MultiEdit', {
      tool: 'MultiEdit',
      input: {
        file_path: 'm.ts',
        edits: [
          { old_string: 'a', new_string: 'b' },
          { old_string: 'c', new_string: 'd' },
        ],
      },
      call_id: 'e3',
    })
    for (const call of [edit, write, multi]) {
      const html = eventRows([call])
      const parsed = await expectInert(html)
      expect(html).toContain('d2h-file-wrapper')
      expect(parsed.attributes.some((a) => a.name === 'open' && a.tag === 'details')).toBe(true)
    }
    const editHtml = eventRows([edit])
    // The line break in the name cannot add a file to the patch.
    expect(editHtml.split('d2h-file-wrapper').length - 1).toBe(1)
    expect((await parse(editHtml)).text).toContain(`${PAYLOAD} new`)
    expect(eventRows([write])).toContain('d2h-ins')
    expect(eventRows([multi]).split('d2h-file-wrapper').length - 1).toBe(2)
  })

  test('a Codex patch shows each file with its diff; a Codex command its exit status and coloured output', async () => {
    const patch = agent('file_change', `Add ${PAYLOAD}`, {
      changes: [
        { path: PAYLOAD, kind: 'add', diff: `${PAYLOAD}\n` },
        { path: 'b.ts', kind: 'update', diff: `@@ -1 +1 @@\n-${PAYLOAD}\n+fixed\n` },
        { path: 'c.ts', kind: PAYLOAD, diff: PAYLOAD },
      ],
      status: 'completed',
    })
    const patchHtml = eventRows([patch])
    await expectInert(patchHtml)
    expect(patchHtml.split('d2h-file-wrapper').length - 1).toBe(2)
    expect(patchHtml).toContain('d2h-del')

    const command = agent('command', `$ ${PAYLOAD} (exit 2)`, {
      command: PAYLOAD,
      output: `\x1b[31m${PAYLOAD}\x1b[0m`,
      exit_code: 2,
      status: 'failed',
    })
    const commandHtml = eventRows([command])
    const parsed = await expectInert(commandHtml)
    expect(parsed.text).toContain('exit 2')
    expect(commandHtml).toContain('ansi-red-fg')
    expect(parsed.text).toContain(`$ ${PAYLOAD}`)
  })

  test('thinking is folded, usage shows tokens and cost per turn', async () => {
    const thinking = await expectInert(eventRows([agent('thinking', `${PAYLOAD}\nsecond line`)]))
    expect(thinking.tags).toContain('details')
    expect(thinking.attributes.some((a) => a.name === 'open')).toBe(false)
    const usage = await parse(
      eventRows([
        agent('usage', '', { input_tokens: 1500, output_tokens: 20, cache_read_tokens: 30, cost_usd: 0.5 }),
      ]),
    )
    expect(usage.text).toContain('1,500 in · 20 out tokens · 30 cached · $0.50')
  })
})

describe('approval cards', () => {
  const request = (requestId: string, fields: JsonObject = {}) =>
    agent('approval_request', `Approval needed: ${PAYLOAD}`, {
      request_id: requestId,
      tool: 'Bash',
      input: { command: PAYLOAD },
      reason: PAYLOAD,
      ...fields,
    })
  const decision = (requestId: string, status: string, message: string | null) =>
    event('input', `Tool use ${status}: Bash`, {
      category: 'approval',
      approval_id: 'x',
      request_id: requestId,
      tool: 'Bash',
      status,
      decided_by: 'local user',
      message,
    })

  test('a pending request is a card with Allow, Deny and the reason field; only the first carries a and d', async () => {
    const approvals = [approval(), approval({ id: 'ap2', request_id: 'req-2' })]
    const html = eventRows([request('req-1'), request('req-2')], { approvals: () => approvals })
    const parsed = await expectInert(html)
    expect(attrsOf(parsed, 'hx-post')).toEqual(['/ui/tasks/t1/approvals/ap1', '/ui/tasks/t1/approvals/ap2'])
    expect(attrsOf(parsed, 'data-shortcut')).toEqual(['a', 'd'])
    expect(attrsOf(parsed, 'data-state')).toEqual(['pending', 'pending'])
    expect(parsed.tags.filter((tag) => tag === 'input')).toHaveLength(2)
    expect(attrsOf(parsed, 'id')).toContain('approval-ap1')
    expect(parsed.text).toContain(`Approval needed: ${PAYLOAD}`)
  })

  test('an answered request shows its decision in place, from the record or from its decision event', async () => {
    const fromRecord = await expectInert(
      eventRows([request('req-1')], {
        approvals: () => [approval({ status: 'denied', decided_by: 'me', message: PAYLOAD })],
      }),
    )
    expect(fromRecord.tags).not.toContain('form')
    expect(fromRecord.text).toContain('denied by me')
    expect(fromRecord.text).toContain(PAYLOAD)

    const together = await expectInert(
      eventRows([request('req-1'), decision('req-1', 'allowed', null)], { approvals: () => [approval()] }),
    )
    expect(together.tags).not.toContain('form')
    expect(attrsOf(together, 'data-state')).toEqual(['allowed'])
    expect(attrsOf(together, 'data-seq')).toHaveLength(1)

    const later = await expectInert(eventRows([decision('req-1', 'denied', PAYLOAD)]))
    expect(attrsOf(later, 'data-attach')).toEqual(['approval:att-1:req-1'])
    expect(attrsOf(later, 'data-state')).toEqual(['denied'])
    expect(later.text).toContain(PAYLOAD)
  })

  test('older pages look up the stored approvals too', async () => {
    const html = olderPage('t1', [request('req-1')], () => [approval()])
    expect(attrsOf(await expectInert(html), 'hx-post')).toEqual(['/ui/tasks/t1/approvals/ap1'])
  })
})

/** The fields the Timeline reads, for a task in a given state. */
function taskView(runner: string, state: string, events: TaskEvent[]): TaskView {
  return {
    id: 't1',
    runner,
    state,
    status: state.split('.')[0],
    events,
    event_count: events.length,
    last_seq: events.at(-1)?.seq ?? 0,
    attempts: [{ started_at: '2026-01-02T03:04:05.000Z' }],
    policy: { require_approval: false },
    approved_at: null,
    worktree_path: null,
    worktree_merged_at: null,
    diff_stat: null,
  } as unknown as TaskView
}

describe('Timeline', () => {
  const render = (task: TaskView, reply: boolean, approvals: ToolApproval[] = []) =>
    Timeline({
      task,
      approvals,
      actions: { ...allowedActions(task, () => false), reply },
    }) as string

  test('the reply box sits after the timeline: a reply to a live agent, a follow-up to a finished one, nothing otherwise', async () => {
    const live = await parse(
      render(taskView('claude-code', 'running.agent', [agent('assistant_text', 'hi')]), true),
    )
    expect(live.text).toContain('Reply to the agent')
    expect(attrsOf(live, 'data-shortcut')).toEqual(['r'])
    expect(attrsOf(live, 'id').indexOf('reply-box')).toBeGreaterThan(attrsOf(live, 'id').indexOf('timeline'))

    const finished = await parse(render(taskView('claude-code', 'ready-for-review', []), true))
    expect(finished.text).toContain('Follow up')
    expect(attrsOf(finished, 'hx-post')).toEqual(['/ui/tasks/t1/reply'])

    const none = await parse(render(taskView('claude-code', 'completed', []), false))
    expect(attrsOf(none, 'id')).toContain('reply-box')
    expect(none.tags).not.toContain('form')

    const shell = await parse(render(taskView('shell', 'needs-input.prompt', []), true))
    expect(shell.text).toContain('The process is waiting for your answer')
  })

  test('a pending approval whose request is not among the events shown still gets its card', async () => {
    const html = render(
      taskView('claude-code', 'needs-input.approval', [agent('assistant_text', 'x')]),
      true,
      [approval({ tool: PAYLOAD, input: { command: PAYLOAD } })],
    )
    const parsed = await expectInert(html)
    expect(attrsOf(parsed, 'hx-post')).toContain('/ui/tasks/t1/approvals/ap1')
    expect(attrsOf(parsed, 'data-card')).toContain('approval:att-1:req-1')
    expect(attrsOf(parsed, 'data-shortcut')).toEqual(['a', 'd', 'r'])
  })
})
