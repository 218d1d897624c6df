import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AgentRuntime, startAgentRuntime } from '../support/agent-runtime'
import { makeRepo } from '../support/git-repo'

let env: AgentRuntime
let repo = ''

beforeAll(async () => {
  env = await startAgentRuntime()
  repo = makeRepo(join(env.scratch, 'repo'), { 'README.md': 'hello\n' })
})
afterAll(() => env?.close())

describe('comments on lines, sent to the agent', () => {
  test('open comments become one follow-up quoting each line; the next attempt outdates the changed one; resolve closes one', async () => {
    const { rt, api } = env
    const id = await api.create({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file notes.txt first draft',
      workspace: repo,
    })
    await api.run(id)
    const first = await api.settled(id)
    expect(first.status).toBe('ready-for-review')

    // A line the diff does not show, a side without a line, a file the task did not change: refused.
    for (const bad of [
      { path: 'notes.txt', side: 'new', line: 7, body: 'x' },
      { path: 'notes.txt', side: 'new', body: 'x' },
      { path: 'README.md', body: 'x' },
      { path: 'notes.txt', body: 'x', colour: 'red' },
    ]) {
      const refused = await rt.call('POST', `/tasks/${id}/comments`, bad)
      expect(refused.status).toBe(400)
      expect(refused.body.error.message).toBeString()
    }

    const line = await rt.call('POST', `/tasks/${id}/comments`, {
      path: 'notes.txt',
      side: 'new',
      line: 1,
      body: 'Too rough <b>here</b>. SCRIPT:write-file notes.txt second draft',
    })
    expect(line.status).toBe(200)
    expect(line.body).toMatchObject({
      path: 'notes.txt',
      side: 'new',
      line: 1,
      line_text: 'first draft',
      context: [{ line: 1, text: 'first draft' }],
      author: 'local user',
      resolved_at: null,
      outdated_at: null,
    })
    const file = await rt.call('POST', `/tasks/${id}/comments`, {
      path: 'notes.txt',
      body: 'Keep this file short.',
      author: 'Ada',
    })
    expect(file.status).toBe(200)
    expect(file.body).toMatchObject({ side: null, line: null, line_text: null, author: 'Ada' })

    const sent = await rt.call('POST', `/tasks/${id}/comments/send`, { note: 'Thanks!' })
    expect(sent.status).toBe(200)
    const expected = [
      'Review comments on your changes (2). Address each one; the commented line is marked >>.',
      [
        '1. notes.txt, line 1 (your version)',
        '>>     1 | first draft',
        '   local user: Too rough <b>here</b>. SCRIPT:write-file notes.txt second draft',
      ].join('\n'),
      ['2. notes.txt (the whole file)', '   Ada: Keep this file short.'].join('\n'),
      'Thanks!',
    ].join('\n\n')
    expect(sent.body.message).toBe(expected)
    expect(sent.body.sent.map((comment: any) => comment.id)).toEqual([line.body.id, file.body.id])

    const second = await api.settled(id)
    await api.until(id, 'ready-for-review')
    expect(readFileSync(join(second.worktree_path, 'notes.txt'), 'utf8')).toBe('second draft\n')
    // The follow-up reached the model as the agent's next prompt, word for word.
    expect(env.promptsFrom(second.worktree_path)).toContain(expected)

    const listed = (await rt.call('GET', `/tasks/${id}/comments`)).body
    const byId = Object.fromEntries(listed.map((comment: any) => [comment.id, comment]))
    expect(byId[line.body.id].outdated_at).toBeString()
    expect(byId[file.body.id].outdated_at).toBeNull()
    expect(byId[file.body.id].sent_at).toBeString()

    const resolved = await rt.call('PATCH', `/tasks/${id}/comments/${file.body.id}`, { resolved: true })
    expect(resolved.status).toBe(200)
    expect(resolved.body.resolved_at).toBeString()
    expect(resolved.body.resolved_by).toBe('local user')
    // Nothing open is left: a sent comment is not sent twice, an outdated or resolved one not at all.
    const again = await rt.call('POST', `/tasks/${id}/comments/send`, {})
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('no_open_comments')
    const unknown = await rt.call('PATCH', `/tasks/${id}/comments/${crypto.randomUUID()}`, { resolved: true })
    expect(unknown.status).toBe(404)
  })
})
