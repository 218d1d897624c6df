import { expect, test } from 'bun:test'
import { renderDiff } from '../../src/views/diff-html'

const PAYLOAD = '<img src=x onerror=alert(1)>'

const patch = [
  `diff --git a/${PAYLOAD}.txt b/${PAYLOAD}.txt`,
  'new file mode 100644',
  'index 0000000..1111111',
  '--- /dev/null',
  `+++ b/${PAYLOAD}.txt`,
  `@@ -0,0 +1,2 @@ ${PAYLOAD}`,
  `+${PAYLOAD}`,
  '+</td></tr></table><script>alert(2)</script>',
  '',
].join('\n')

test('file names, hunk headers and lines of a diff are escaped in both layouts', () => {
  for (const layout of ['side-by-side', 'line-by-line'] as const) {
    const html = renderDiff(patch, layout)
    expect(html).toContain('d2h-file-wrapper')
    expect(html).not.toContain('<img')
    expect(html).not.toContain('<script')
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
  }
})

test('the layout decides the markup: two sides, or one unified column', () => {
  expect(renderDiff(patch, 'side-by-side')).toContain('d2h-file-side-diff')
  expect(renderDiff(patch, 'line-by-line')).not.toContain('d2h-file-side-diff')
})
