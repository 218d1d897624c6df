import { createTwoFilesPatch } from 'diff'
import type { JsonObject } from '../domain'
import { renderDiff } from './diff-html'
import { visibleText } from './visible'

/** Longer sides are not diffed in the timeline (the review page shows the whole change). */
const MAX_SIDE = 100_000
/** A diff that takes longer than this to compute is left out rather than slowing the page. */
const DIFF_TIMEOUT_MS = 100

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null)

/**
 * A path as a single patch header line: a crafted name with a line break must not add lines to
 * the patch the renderer parses, and controls are shown as their pictures.
 */
const headerPath = (path: string) => visibleText(path.replace(/[\r\n]/g, ' ')).trim() || '(unnamed)'

function twoSides(path: string, before: string, after: string): string | null {
  if (before.length > MAX_SIDE || after.length > MAX_SIDE) return null
  const name = headerPath(path)
  return (
    createTwoFilesPatch(name, name, before, after, undefined, undefined, {
      context: 3,
      timeout: DIFF_TIMEOUT_MS,
    }) ?? null
  )
}

/**
 * The unified patch of one Claude file tool call, from its input alone: Edit (old → new string),
 * MultiEdit (each edit in turn) and Write (the whole new content). Null for any other tool or an
 * input without the fields.
 */
export function toolEditPatch(tool: string, input: unknown): string | null {
  if (typeof input !== 'object' || input === null) return null
  const fields = input as JsonObject
  const path = str(fields.file_path) ?? str(fields.path)
  if (path === null) return null
  switch (tool) {
    case 'Write': {
      const content = str(fields.content)
      return content === null ? null : twoSides(path, '', content)
    }
    case 'Edit': {
      const before = str(fields.old_string)
      const after = str(fields.new_string)
      return before === null || after === null ? null : twoSides(path, before, after)
    }
    case 'MultiEdit': {
      const edits = Array.isArray(fields.edits) ? (fields.edits as unknown[]) : []
      const patches = edits.map((edit) => {
        const one = (typeof edit === 'object' && edit !== null ? edit : {}) as JsonObject
        const before = str(one.old_string)
        const after = str(one.new_string)
        return before === null || after === null ? null : twoSides(path, before, after)
      })
      return patches.length > 0 && patches.every((patch) => patch !== null) ? patches.join('\n') : null
    }
    default:
      return null
  }
}

/**
 * The unified patch of one Codex file change: an added file's diff is its content, a deleted
 * file's its old content, an update's a unified diff (hunks, with or without file headers).
 */
export function fileChangePatch(path: string, kind: string, diff: string): string | null {
  if (diff === '') return null
  if (kind === 'add') return twoSides(path, '', diff)
  if (kind === 'delete') return twoSides(path, diff, '')
  if (/^--- /m.test(diff) && /^\+\+\+ /m.test(diff)) return diff
  if (!/^@@ /m.test(diff)) return null
  const name = headerPath(path)
  return `--- ${name}\n+++ ${name}\n${diff}`
}

/** A patch as the review page's diff markup (diff2html escapes names and lines), in one column. */
export function inlineDiff(patch: string): string {
  return renderDiff(patch, 'line-by-line')
}
