import { afterAll, describe, expect, test } from 'bun:test'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { SessionInventory, sessionRoots } from '../../src/agents'

const scratch = mkdtempSync(join(tmpdir(), 'openruntime-inventory-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const CLAUDE_ID = '11111111-2222-4333-8444-555555555555'
const CODEX_ID = '01a20a53-858d-77c2-bcb6-5105367b4147'

function writeJsonl(path: string, records: unknown[]): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, `${records.map((record) => JSON.stringify(record)).join('\n')}\n`)
}

function claudeTranscript(home: string, id = CLAUDE_ID): string {
  const path = join(home, '.claude', 'projects', '-work-repo', `${id}.jsonl`)
  const base = { sessionId: id, cwd: '/work/repo' }
  writeJsonl(path, [
    { type: 'queue-operation', operation: 'enqueue', sessionId: id },
    {
      ...base,
      type: 'user',
      timestamp: '2026-11-20T10:00:00.000Z',
      message: {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>internal</system-reminder>' },
          { type: 'text', text: 'Fix   the bug with key sk-abcdefghijklmnopqrstuvwxyz' },
        ],
      },
    },
    {
      ...base,
      type: 'assistant',
      timestamp: '2026-11-20T10:00:05.000Z',
      message: {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking' },
          { type: 'tool_use', name: 'Bash' },
        ],
      },
    },
    { type: 'last-prompt', lastPrompt: 'Fix the bug', sessionId: id },
  ])
  return path
}

function codexRollout(home: string, when: string): string {
  const path = join(
    home,
    '.codex',
    'sessions',
    '2026',
    '11',
    '21',
    `rollout-2026-11-21T09-00-00-${CODEX_ID}.jsonl`,
  )
  const message = (role: string, text: string) => ({
    timestamp: when,
    type: 'response_item',
    payload: {
      type: 'message',
      role,
      content: [{ type: role === 'user' ? 'input_text' : 'output_text', text }],
    },
  })
  writeJsonl(path, [
    {
      timestamp: '2026-11-21T09:00:00.000Z',
      type: 'session_meta',
      payload: { id: CODEX_ID, cwd: '/work/other', timestamp: '2026-11-21T09:00:00.000Z' },
    },
    message('developer', 'base instructions'),
    message('user', '<environment_context><cwd>/work/other</cwd></environment_context>'),
    message('user', 'Add a test'),
    { timestamp: when, type: 'event_msg', payload: { type: 'agent_message', message: 'mirror' } },
    message('assistant', 'Test added'),
  ])
  return path
}

describe('local session inventory', () => {
  test('lists Claude and Codex transcripts with the original field names, newest first', () => {
    const home = join(scratch, 'both')
    const claudePath = claudeTranscript(home)
    const codexPath = codexRollout(home, '2026-11-21T09:05:00.000Z')
    const subagent = join(home, '.claude', 'projects', '-work-repo', CLAUDE_ID, 'subagents', 'agent-a1.jsonl')
    writeJsonl(subagent, [
      {
        type: 'user',
        agentId: 'a1',
        sessionId: CLAUDE_ID,
        timestamp: '2026-11-19T08:00:00.000Z',
        message: 'Sub task',
      },
    ])
    writeJsonl(join(home, '.codex', 'session_index.jsonl'), [
      { id: CODEX_ID, thread_name: 'Named thread', updated_at: '2026-11-22T00:00:00.000Z' },
      { id: 'index-only', thread_name: 'Lost transcript', updated_at: '2026-11-18T00:00:00.000Z' },
    ])

    const list = new SessionInventory().list({ env: { HOME: home } })
    expect(list.claude_home).toBe(join(home, '.claude'))
    expect(list.codex_home).toBe(join(home, '.codex'))
    expect(list.sessions).toEqual([
      {
        runner: 'codex',
        session_id: CODEX_ID,
        title: 'Named thread',
        workspace: '/work/other',
        transcript_path: codexPath,
        created_at: '2026-11-21T09:00:00.000Z',
        updated_at: '2026-11-22T00:00:00.000Z',
        source: 'codex-jsonl',
        resume_command: `codex resume --include-non-interactive ${CODEX_ID}`,
        message_count: 2,
        last_message: 'Test added',
        managed_by_openruntime: false,
      },
      {
        runner: 'claude-code',
        session_id: CLAUDE_ID,
        title: 'Fix the bug',
        workspace: '/work/repo',
        transcript_path: claudePath,
        created_at: '2026-11-20T10:00:00.000Z',
        updated_at: '2026-11-20T10:00:05.000Z',
        source: 'claude-project-jsonl',
        resume_command: `claude --resume ${CLAUDE_ID}`,
        message_count: 2,
        last_message: 'Looking tool: Bash',
        managed_by_openruntime: false,
      },
      expect.objectContaining({
        session_id: 'agent-a1',
        source: 'claude-subagent-jsonl',
        resume_command: undefined,
        message_count: 1,
      }),
      expect.objectContaining({ session_id: 'index-only', source: 'codex-session-index', message_count: 0 }),
    ])
  })

  test('previews are redacted and whitespace is collapsed', () => {
    const home = join(scratch, 'redact')
    const path = claudeTranscript(home)
    appendFileSync(path, `${JSON.stringify({ type: 'summary', summary: 'token=abc   used\n\there' })}\n`)
    const [session] = new SessionInventory().list({ env: { HOME: home } }).sessions
    expect(session?.last_message).toBe('[redacted] used here')
  })

  test('CLAUDE_CONFIG_DIR and CODEX_HOME override the home folder', () => {
    const home = join(scratch, 'override')
    claudeTranscript(join(scratch, 'elsewhere'))
    const env = {
      HOME: home,
      CLAUDE_CONFIG_DIR: join(scratch, 'elsewhere', '.claude'),
      CODEX_HOME: join(home, 'cx'),
    }
    expect(sessionRoots(env)).toEqual({
      claudeHome: join(scratch, 'elsewhere', '.claude'),
      codexHome: join(home, 'cx'),
    })
    const list = new SessionInventory().list({ env })
    expect(list.sessions.map((s) => s.session_id)).toEqual([CLAUDE_ID])
  })

  test('a large transcript is sampled: its header plus its tail', () => {
    const home = join(scratch, 'large')
    const path = join(home, '.claude', 'projects', '-big', `${CLAUDE_ID}.jsonl`)
    const filler = (n: number) => ({
      type: 'user',
      sessionId: CLAUDE_ID,
      cwd: '/big',
      timestamp: `2026-11-20T10:00:${String(n % 60).padStart(2, '0')}.000Z`,
      message: { content: `message ${n} ${'x'.repeat(1000)}` },
    })
    writeJsonl(
      path,
      Array.from({ length: 600 }, (_, n) => filler(n)),
    )
    expect(statSync(path).size).toBeGreaterThan(512 * 1024)
    const [session] = new SessionInventory().list({ env: { HOME: home } }).sessions
    expect(session?.session_id).toBe(CLAUDE_ID)
    // 128 KiB of ~1.1 KB lines, minus the cut first one, plus the header line.
    expect(session?.message_count).toBeGreaterThan(100)
    expect(session?.message_count).toBeLessThan(130)
    expect(session?.last_message).toStartWith('message 599')
  })

  test('transcripts are parsed again only when their mtime or size changes, and the scan is bounded', () => {
    const home = join(scratch, 'cache')
    const path = claudeTranscript(home)
    const mtime = new Date(2026, 10, 20, 12, 0, 0)
    utimesSync(path, mtime, mtime)
    const inventory = new SessionInventory()
    expect(inventory.list({ env: { HOME: home } }).sessions[0]?.title).toBe('Fix the bug')

    // Same size and mtime: the cached parse is reused even though the bytes changed.
    const { size } = statSync(path)
    writeFileSync(path, readFileSync(path, 'utf8').replace('Fix the bug"', 'Fix the bag"'))
    utimesSync(path, mtime, mtime)
    expect(statSync(path).size).toBe(size)
    expect(inventory.list({ env: { HOME: home } }).sessions[0]?.title).toBe('Fix the bug')

    utimesSync(path, new Date(), new Date())
    expect(inventory.list({ env: { HOME: home } }).sessions[0]?.title).toBe('Fix the bag')

    claudeTranscript(home, '99999999-2222-4333-8444-555555555555')
    utimesSync(path, new Date(2020, 0, 1), new Date(2020, 0, 1))
    const bounded = inventory.list({ env: { HOME: home }, limit: 1 }).sessions
    expect(bounded.map((s) => s.session_id)).toEqual(['99999999-2222-4333-8444-555555555555'])
  })
})
