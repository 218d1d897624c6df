/**
 * PEM private-key blocks span lines, so they are cut out before the line-local rules run. A block
 * without its END line within PEM_MAX_BODY characters is redacted up to that bound and output
 * resumes after it: a stray BEGIN line must not swallow everything that follows.
 */
export const PEM_MAX_BODY = 64 * 1024

const BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/g
const END = /(?:\r?\n[ \t]{0,64})?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----/g
/** The longest END match (optional line break and indent, then the marker). */
const END_MAX = 2 + 64 + '-----END '.length + 40 + 'PRIVATE KEY-----'.length
const BEGIN_LITERAL = '-----BEGIN '
const KEY_LITERAL = 'PRIVATE KEY-----'
const HEADER_MAX = BEGIN_LITERAL.length + 40 + KEY_LITERAL.length

export const REDACTED = '[redacted]'

export function findPemStart(text: string, from = 0): number {
  BEGIN.lastIndex = from
  return BEGIN.exec(text)?.index ?? -1
}

export interface PemBlock {
  /** Index just past what the replacement stands for. */
  end: number
  replacement: string
}

/**
 * The block starting at `at` (where a BEGIN line is). Returns undefined while more text could still
 * change the outcome, unless `final` says the text ends here.
 */
export function pemBlock(text: string, at: number, final: boolean): PemBlock | undefined {
  BEGIN.lastIndex = at
  const header = BEGIN.exec(text)?.[0] ?? ''
  const headerEnd = at + header.length
  const afterHeader = text.slice(headerEnd, headerEnd + 2)
  if (!final && (afterHeader.length === 0 || afterHeader === '\r')) return undefined
  const lineBreak = /^\r?\n/.exec(afterHeader)?.[0] ?? ''
  const bodyStart = headerEnd + lineBreak.length
  const opening = header + lineBreak + REDACTED
  const window = text.slice(bodyStart, bodyStart + PEM_MAX_BODY + END_MAX)
  END.lastIndex = 0
  const end = END.exec(window)
  if (end && end.index <= PEM_MAX_BODY) {
    return { end: bodyStart + end.index + end[0].length, replacement: opening + end[0] }
  }
  if (!final && window.length < PEM_MAX_BODY + END_MAX) return undefined
  return { end: Math.min(text.length, bodyStart + PEM_MAX_BODY), replacement: opening }
}

/** Where a BEGIN line that `text` ends in the middle of starts, or text.length. */
export function partialPemStart(text: string): number {
  for (let i = Math.max(0, text.length - HEADER_MAX); i < text.length; i++) {
    if (text[i] === '-' && couldBeginHeader(text.slice(i))) return i
  }
  return text.length
}

function couldBeginHeader(tail: string): boolean {
  if (tail.length <= BEGIN_LITERAL.length) return BEGIN_LITERAL.startsWith(tail)
  if (!tail.startsWith(BEGIN_LITERAL)) return false
  const rest = tail.slice(BEGIN_LITERAL.length)
  for (let split = 0; split <= Math.min(rest.length, 40); split++) {
    const kind = rest.slice(0, split)
    const key = rest.slice(split)
    if (/^[A-Z0-9 ]*$/.test(kind) && key.length < KEY_LITERAL.length && KEY_LITERAL.startsWith(key))
      return true
  }
  return false
}
