import { escapeHtml } from '@kitajs/html'
import { AnsiUp } from 'ansi_up'
import { INVISIBLE, pictureOf } from './visible'

const ESC = '\x1b'

// CSI: ESC [, parameter bytes, intermediate bytes, one final byte (ECMA-48 5.4).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const CSI = /\x1b\[([0-?]*)([ -/]*)([@-~])/y
// OSC and the other string sequences (DCS, SOS, PM, APC) run to BEL or ST (ESC \).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const STRING_SEQUENCE = /\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)/y
// Every other escape: ESC, intermediate bytes, one final byte (ESC 7, ESC ( B…).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
const SHORT_ESCAPE = /\x1b[ -/]*[0-~]/y

const isByte = (value: string | undefined) =>
  value !== undefined && /^\d{1,3}$/.test(value) && Number(value) <= 255

/**
 * Whether an SGR parameter list is one the colour renderer understands in full: resets, bold,
 * faint, italic, underline, the 8/16 colours, and 256-colour or RGB colours with every part there.
 */
function understoodSgr(params: string): boolean {
  if (params === '') return true
  const parts = params.split(';')
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    if (!/^\d{1,3}$/.test(part)) return false
    const code = Number(part)
    if (code === 38 || code === 48) {
      if (parts[i + 1] === '5' && isByte(parts[i + 2])) i += 2
      else if (parts[i + 1] === '2' && [2, 3, 4].every((k) => isByte(parts[i + k]))) i += 4
      else return false
    } else if (
      !(
        code <= 4 ||
        (code >= 21 && code <= 24) ||
        (code >= 30 && code <= 37) ||
        code === 39 ||
        (code >= 40 && code <= 47) ||
        code === 49 ||
        (code >= 90 && code <= 97) ||
        (code >= 100 && code <= 107)
      )
    ) {
      return false
    }
  }
  return true
}

interface Escape {
  raw: string
  /** A colour change the renderer applies; any other escape is shown, not obeyed. */
  colour: boolean
}

/** The complete escape sequence starting at `at` (an ESC), or null when none is complete there. */
function escapeAt(text: string, at: number): Escape | null {
  for (const pattern of [CSI, STRING_SEQUENCE, SHORT_ESCAPE]) {
    pattern.lastIndex = at
    const match = pattern.exec(text)
    if (!match) continue
    const colour = pattern === CSI && match[3] === 'm' && match[2] === '' && understoodSgr(match[1] ?? '')
    return { raw: match[0], colour }
  }
  return null
}

/** A control character or an escape sequence shown as what it is, in a styled marker. */
const marker = (raw: string) =>
  `<span class="ctl" title="terminal control, not rendered">${escapeHtml(raw.replace(INVISIBLE, pictureOf))}</span>`

/**
 * Terminal output as HTML. Colours (well-formed SGR the renderer knows) become classed spans;
 * everything else a terminal would obey invisibly is shown instead: control characters as their
 * pictures (␀, ␇, ␈…) and every other escape sequence (cursor movement, OSC 8 links, window
 * titles, malformed or unknown SGR, a lone ESC) as a marker with its text, so a line can never
 * render empty or hide what the run printed, and nothing becomes a link. Each call gets its own
 * converter so colour state never leaks from one event into another (events render out of order
 * when older history is paged in).
 */
export function ansiToHtml(text: string): string {
  if (text.search(INVISIBLE) === -1) return escapeHtml(text)
  const converter = new AnsiUp()
  converter.use_classes = true
  let html = ''
  // Plain text and colour changes, converted together so colours span the markers between them.
  let coloured = ''
  const flush = () => {
    if (coloured !== '') html += converter.ansi_to_html(coloured)
    coloured = ''
  }
  let at = 0
  while (at < text.length) {
    INVISIBLE.lastIndex = at
    const found = INVISIBLE.exec(text)
    if (!found) {
      coloured += text.slice(at)
      break
    }
    coloured += text.slice(at, found.index)
    const sequence = found[0] === ESC ? escapeAt(text, found.index) : null
    const raw = sequence?.raw ?? found[0]
    if (sequence?.colour) coloured += raw
    else {
      flush()
      html += marker(raw)
    }
    at = found.index + raw.length
  }
  flush()
  return html
}
