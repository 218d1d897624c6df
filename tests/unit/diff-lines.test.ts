import { describe, expect, test } from 'bun:test'
import { locateLine, parsePatch, stillShown } from '../../src/tasks/diff-lines'

const PATCH = [
  'diff --git a/src/app.txt b/src/app.txt',
  'index 1111111..2222222 100644',
  '--- a/src/app.txt',
  '+++ b/src/app.txt',
  '@@ -1,5 +1,5 @@',
  ' one',
  '-two',
  '+TWO',
  ' three',
  ' four',
  ' five',
  'diff --git "a/tab\\there.txt" "b/tab\\there.txt"',
  'new file mode 100644',
  '--- /dev/null',
  '+++ "b/tab\\there.txt"',
  '@@ -0,0 +1 @@',
  '+h\\u00e9',
  'diff --git a/gone.txt b/gone.txt',
  'deleted file mode 100644',
  '--- a/gone.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-bye',
  '\\ No newline at end of file',
  '',
].join('\n')

describe('diff lines', () => {
  const files = parsePatch(PATCH)

  test('each side is numbered on its own, with its context', () => {
    expect(locateLine(files, 'src/app.txt', 'new', 2)).toEqual({
      text: 'TWO',
      context: [
        { line: 1, text: 'one' },
        { line: 2, text: 'TWO' },
        { line: 3, text: 'three' },
        { line: 4, text: 'four' },
        { line: 5, text: 'five' },
      ],
    })
    expect(locateLine(files, 'src/app.txt', 'old', 2)?.text).toBe('two')
    expect(locateLine(files, 'src/app.txt', 'new', 9)).toBeNull()
  })

  test("git's quoted paths and deleted files are found under their own names", () => {
    expect(locateLine(files, 'tab\there.txt', 'new', 1)?.text).toBe('h\\u00e9')
    expect(locateLine(files, 'gone.txt', 'old', 1)?.text).toBe('bye')
    expect(locateLine(files, 'gone.txt', 'new', 1)).toBeNull()
  })

  test('a line is still shown when its context moved, not when its hunk changed', () => {
    const context = locateLine(files, 'src/app.txt', 'new', 2)?.context ?? []
    const moved = parsePatch(PATCH.replace('@@ -1,5 +1,5 @@', '@@ -11,5 +11,5 @@'))
    expect(stillShown(moved, 'src/app.txt', 'new', 2, context)).toBe(true)
    const changed = parsePatch(PATCH.replace('+TWO', '+Two'))
    expect(stillShown(changed, 'src/app.txt', 'new', 2, context)).toBe(false)
    expect(stillShown(files, 'other.txt', 'new', 2, context)).toBe(false)
  })
})
