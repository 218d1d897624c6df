import type { CommentSide, DiffLine } from '../domain'

/** One line of a hunk: its number on each side it belongs to, and its text. */
interface HunkLine {
  old: number | null
  new: number | null
  text: string
}

/** A file's hunks in a unified diff, by the file's path (its new path; the old one if deleted). */
export type PatchFiles = Map<string, HunkLine[][]>

/** Lines quoted on each side of the commented one. */
export const CONTEXT_LINES = 3

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/

/** git's C-style quoting of an unusual path ("a\tb"), undone. */
function unquote(path: string): string {
  if (!path.startsWith('"')) return path
  const bytes: number[] = []
  const body = path.slice(1, -1)
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 }
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string
    if (char !== '\\') {
      bytes.push(...Buffer.from(char))
      continue
    }
    const next = body[i + 1] as string
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(body.slice(i + 1, i + 4), 8))
      i += 3
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0))
      i += 1
    }
  }
  return Buffer.from(bytes).toString('utf8')
}

const pathOf = (header: string) => {
  const raw = header.slice(4).replace(/\t$/, '')
  if (raw === '/dev/null') return null
  return unquote(raw).replace(/^[ab]\//, '')
}

/** The hunks of every file of a unified diff (`git diff` output). */
export function parsePatch(patch: string): PatchFiles {
  const files: PatchFiles = new Map()
  let oldPath: string | null = null
  let hunks: HunkLine[][] | null = null
  let hunk: HunkLine[] | null = null
  let oldLine = 0
  let newLine = 0
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      hunks = null
      hunk = null
    } else if (hunk === null && line.startsWith('--- ')) {
      oldPath = pathOf(line)
    } else if (hunk === null && line.startsWith('+++ ')) {
      const path = pathOf(line) ?? oldPath
      hunks = []
      if (path !== null) files.set(path, hunks)
    } else if (hunks !== null && HUNK.test(line)) {
      const [, oldStart, newStart] = HUNK.exec(line) as RegExpExecArray
      oldLine = Number(oldStart)
      newLine = Number(newStart)
      hunk = []
      hunks.push(hunk)
    } else if (hunk !== null) {
      const kind = line[0]
      const text = line.slice(1)
      if (kind === ' ') hunk.push({ old: oldLine++, new: newLine++, text })
      else if (kind === '-') hunk.push({ old: oldLine++, new: null, text })
      else if (kind === '+') hunk.push({ old: null, new: newLine++, text })
      else if (kind !== '\\') hunk = null
    }
  }
  return files
}

/** The lines of one side of a hunk, numbered on that side. */
const sideOf = (hunk: HunkLine[], side: CommentSide): DiffLine[] =>
  hunk.flatMap((line) => {
    const number = side === 'old' ? line.old : line.new
    return number === null ? [] : [{ line: number, text: line.text }]
  })

/** The commented line and its context as the diff shows them, or null when the diff has no such line. */
export function locateLine(
  files: PatchFiles,
  path: string,
  side: CommentSide,
  line: number,
): { text: string; context: DiffLine[] } | null {
  for (const hunk of files.get(path) ?? []) {
    const lines = sideOf(hunk, side)
    const at = lines.findIndex((candidate) => candidate.line === line)
    if (at < 0) continue
    return {
      text: (lines[at] as DiffLine).text,
      context: lines.slice(Math.max(0, at - CONTEXT_LINES), at + CONTEXT_LINES + 1),
    }
  }
  return null
}

/**
 * Whether the diff still shows the commented line with exactly the context it had, anywhere in
 * the same file on the same side (lines moved by an edit elsewhere still count as the same).
 */
export function stillShown(
  files: PatchFiles,
  path: string,
  side: CommentSide,
  line: number,
  context: DiffLine[],
): boolean {
  const offset = context.findIndex((candidate) => candidate.line === line)
  if (offset < 0) return false
  const wanted = context.map((candidate) => candidate.text)
  for (const hunk of files.get(path) ?? []) {
    const texts = sideOf(hunk, side).map((candidate) => candidate.text)
    for (let start = 0; start + wanted.length <= texts.length; start++) {
      if (wanted.every((text, i) => texts[start + i] === text)) return true
    }
  }
  return false
}
