/**
 * Lines a hostile (or merely unusual) run prints, each with what a reader of the timeline must
 * see of it: its text, and every control or escape the renderer does not obey as a visible marker.
 */
export const LINES: [what: string, line: string, seen: string][] = [
  [
    'an OSC 8 link',
    'a \x1b]8;;http://x\x1b\\link-text\x1b]8;;\x1b\\ b',
    'a ␛]8;;http://x␛\\link-text␛]8;;␛\\ b',
  ],
  ['an OSC 8 link ended by BEL', '\x1b]8;;http://x\x07bel-link\x1b]8;;\x07', '␛]8;;http://x␇bel-link␛]8;;␇'],
  [
    'a link the old renderer blanked',
    '\x1b]8;;file:///etc/passwd\x1b\\only-link\x1b]8;;\x1b\\',
    '␛]8;;file:///etc/passwd␛\\only-link␛]8;;␛\\',
  ],
  ['a 256-colour SGR without its colour', '\x1b[38;5mhello', '␛[38;5mhello'],
  ['an SGR code out of range', '\x1b[999999999mworld', '␛[999999999mworld'],
  ['an RGB part out of range', '\x1b[38;2;999;0;0mrgb', '␛[38;2;999;0;0mrgb'],
  ['a lone ESC at the end', 'end\x1b', 'end␛'],
  ['an unterminated OSC', 'before \x1b]8;;http://x after', 'before ␛]8;;http://x after'],
  ['cursor movement and erase', 'x\x1b[2Ay\x1b[Kz', 'x␛[2Ay␛[Kz'],
  ['NUL, BEL, backspace, DEL', 'a\x00b\x07c\x08d\x7fe', 'a␀b␇c␈d␡e'],
  ['a C1 CSI', 'a\u009b31mb', 'a⟨U+009B⟩31mb'],
  ['a bidi override', 'abc\u202edef', 'abc⟨U+202E⟩def'],
]

/** A task title with a NUL, an SGR and a bidi override, and how it must read. */
export const TITLE = 'Build\u0000 \x1b[31mred\x1b[0m \u202eevil'
export const SEEN_TITLE = 'Build␀ ␛[31mred␛[0m ⟨U+202E⟩evil'

// Every byte but a few plain ones as an octal escape, the form every printf takes.
const octal = (text: string) =>
  [...new TextEncoder().encode(text)]
    .map((byte) => {
      const char = String.fromCharCode(byte)
      return /[A-Za-z0-9 :/.;=-]/.test(char) ? char : `\\${byte.toString(8).padStart(3, '0')}`
    })
    .join('')

/** A shell command that prints LINES, one per line. */
export const PRINT_LINES = LINES.map(([, line]) => `printf '${octal(line)}\\n'`).join('; ')
