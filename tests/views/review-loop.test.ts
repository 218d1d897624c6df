import { describe, expect, test } from 'bun:test'
import type { ReviewComment, TaskDiffView, TaskView } from '../../src/domain'
import { CommentsSection, PublishSection } from '../../src/views/review-loop'

const PAYLOAD = '"><img src=x onerror=alert(1)> &amp;'

// HTMLRewriter hands attribute values over undecoded.
const decodeEntities = (text: string) =>
  text
    .replace(/&#34;/g, '"')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** Elements a browser-grade parser finds, and the decoded value of an attribute. */
async function parse(html: string, selector: string, attribute?: string) {
  const found: (string | null)[] = []
  await new HTMLRewriter()
    .on(selector, {
      element: (element) =>
        void found.push(attribute ? decodeEntities(element.getAttribute(attribute) ?? '') : ''),
    })
    .transform(new Response(html))
    .text()
  return found
}

const task = { id: 'c0ffee00-0000-4000-8000-000000000000', pull_request_url: null } as unknown as TaskView
const diff = {
  has_changes: true,
  files: [{ path: `${PAYLOAD}.txt`, status: 'added', additions: 1, deletions: 0, binary: false }],
} as unknown as TaskDiffView
const comment: ReviewComment = {
  id: 'c1',
  task_id: task.id,
  author: PAYLOAD,
  path: `${PAYLOAD}.txt`,
  side: 'new',
  line: 1,
  body: PAYLOAD,
  line_text: PAYLOAD,
  context: [{ line: 1, text: PAYLOAD }],
  attempt_id: null,
  sent_at: null,
  outdated_at: null,
  resolved_at: null,
  resolved_by: null,
  created_at: '2026-12-02T08:00:00.000Z',
}

describe('the review loop renders run-written and user text as text', () => {
  test('comments: file names, quoted lines, bodies and authors are escaped', async () => {
    const html = CommentsSection({ task, diff, comments: [comment] }) as string
    expect(await parse(html, 'img')).toEqual([])
    expect(await parse(html, '#comment-path option', 'value')).toEqual([`${PAYLOAD}.txt`])
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &amp;amp;')
  })

  test('the pull request link and the integrations are escaped', async () => {
    const html = PublishSection({
      task: { ...task, pull_request_url: `https://forge.invalid/${PAYLOAD}` } as TaskView,
      loop: {
        comments: [],
        base: null,
        integrations: [
          {
            name: 'gh',
            label: 'GitHub CLI',
            available: false,
            path: null,
            version: null,
            signed_in: false,
            reason: PAYLOAD,
          },
        ],
        pushed: null,
        branch: 'openruntime/c0ffee00',
      },
    }) as string
    expect(await parse(html, 'img')).toEqual([])
    expect(await parse(html, '#publish a', 'href')).toEqual([`https://forge.invalid/${PAYLOAD}`])
  })
})
