import type { ShellWord } from './shell-word'
import { unwrap } from './wrappers'

export type { ShellWord } from './shell-word'

/**
 * Splits a POSIX shell command line into the simple commands it would run, so the checks can
 * judge command names and argv instead of substrings.
 *
 * - Quotes and escapes are resolved the way the shell does (`c''url`, `"cu"rl`, `\c\u\r\l`,
 *   `$'\x63url'` are all `curl`).
 * - Pipelines, lists (`|`, `&&`, `||`, `;`, `&`, newlines), subshells `( … )`, groups `{ …; }`,
 *   `if/while/for/case` bodies, command substitutions `$( … )` and backticks, process
 *   substitutions `<( … )`, expanding here-documents and `sh -c '…'`/`eval '…'`/`find -exec`
 *   all contribute their inner commands to the flat list.
 * - The dynamic rule: a word that contains an expansion whose value is only known at run time
 *   (`$X`, `${X}`, `$(…)`, backticks, arithmetic) is `dynamic`; its text keeps the expansion as
 *   written. An unquoted glob or brace (`cur?`, `{c,}url`) makes a word a `pattern`. A command
 *   whose program name is dynamic or a pattern, or whose program is a shell reading its script
 *   from stdin or from a dynamic string, carries an `opaque` reason: the checks cannot know what
 *   it runs, and refuse it whenever the policy restricts anything (rule `dynamic-command`).
 */
export interface SimpleCommand {
  /** Every word as written, wrappers and assignments included; redirections excluded. */
  words: ShellWord[]
  /** The command at each wrapper level: views[0] is the outermost after assignments. */
  views: ShellWord[][]
  /** The program actually run and its arguments; empty when none runs (bare `env`, `VAR=1`). */
  argv: ShellWord[]
  /** Redirection targets (files read or written). */
  redirects: ShellWord[]
  /** Why the program that runs cannot be known from the text, when it cannot. */
  opaque?: string
  /** The command as written, for messages. */
  source: string
}

const MAX_NESTING = 32

export function parseShell(command: string): SimpleCommand[] {
  const out: SimpleCommand[] = []
  collect(command, 0, out)
  return out
}

function collect(script: string, nesting: number, out: SimpleCommand[]): void {
  if (nesting > MAX_NESTING) {
    out.push(opaqueCommand(script, 'the command nests shells or substitutions too deeply to read'))
    return
  }
  const lexer = new Lexer(script, nesting)
  lexer.parseList(null)
  for (const raw of lexer.commands) {
    if (raw.opaque) {
      out.push(opaqueCommand(raw.source, raw.opaque))
      continue
    }
    addCommand(raw.words, raw.redirects, raw.source, nesting, out)
  }
}

function addCommand(
  words: ShellWord[],
  redirects: ShellWord[],
  source: string,
  nesting: number,
  out: SimpleCommand[],
): void {
  const unwrapped = unwrap(words)
  out.push({
    words,
    views: unwrapped.views,
    argv: unwrapped.argv,
    redirects,
    opaque: unwrapped.opaque,
    source,
  })
  for (const script of unwrapped.scripts) collect(script, nesting + 1, out)
  for (const inner of unwrapped.commands)
    addCommand(inner, [], inner.map((w) => w.text).join(' '), nesting + 1, out)
}

function opaqueCommand(source: string, reason: string): SimpleCommand {
  return { words: [], views: [], argv: [], redirects: [], opaque: reason, source }
}

interface RawCommand {
  words: ShellWord[]
  redirects: ShellWord[]
  source: string
  opaque?: string
}

interface PendingHeredoc {
  delimiter: string
  stripTabs: boolean
  expands: boolean
}

type CaseState = 'pattern' | 'body'

/** Words that only shape control flow; the command proper follows them. */
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  'coproc',
])
/** Keywords whose remaining words up to the separator are not a command (`for x in a b`). */
const HEADERS = new Set(['for', 'select', 'case'])

const BLANKS = ' \t\r'
const OPERATORS = '|&;()<>\n'

class Lexer {
  readonly commands: RawCommand[] = []
  private pos = 0
  private heredocs: PendingHeredoc[] = []

  constructor(
    private readonly src: string,
    private nesting: number,
  ) {}

  /** Reads commands until `close` (or the end) and consumes the closing character. */
  parseList(close: ')' | null): void {
    const src = this.src
    const cases: CaseState[] = []
    let depth = 0
    let cur = this.newCommand()
    const finish = () => {
      this.pushCommand(cur)
      cur = this.newCommand()
    }
    while (this.pos < src.length) {
      const c = src[this.pos] as string
      const next = src[this.pos + 1]
      if (BLANKS.includes(c)) {
        this.pos++
      } else if (c === '\\' && next === '\n') {
        this.pos += 2
      } else if (c === '#') {
        while (this.pos < src.length && src[this.pos] !== '\n') this.pos++
      } else if (c === '\n') {
        finish()
        this.pos++
        this.readHeredocBodies()
      } else if (c === ')') {
        finish()
        this.pos++
        if (cases.at(-1) === 'pattern') cases[cases.length - 1] = 'body'
        else if (depth > 0) depth--
        else if (close === ')') return
      } else if (c === '(') {
        finish()
        this.pos++
        if (cases.at(-1) !== 'pattern') depth++
      } else if (c === ';') {
        finish()
        const caseEnd = next === ';' || next === '&'
        this.pos += caseEnd ? (src[this.pos + 2] === '&' ? 3 : 2) : 1
        if (caseEnd && cases.length > 0) cases[cases.length - 1] = 'pattern'
      } else if (c === '&' && next !== '>') {
        finish()
        this.pos += next === '&' ? 2 : 1
      } else if (c === '|') {
        finish()
        this.pos += next === '|' || next === '&' ? 2 : 1
      } else if (c === '<' || c === '>' || c === '&') {
        this.readRedirect(cur)
      } else {
        const start = this.pos
        const word = this.readWord()
        const at = src[this.pos]
        if (!word.quoted && /^\d+$/.test(word.text) && (at === '<' || at === '>')) {
          cur.start ??= start
          this.readRedirect(cur)
          continue
        }
        this.addWord(cur, word, start, cases)
      }
    }
    finish()
  }

  private newCommand(): MutableCommand {
    return { words: [], redirects: [], start: undefined, end: 0, skipping: undefined }
  }

  private pushCommand(cur: MutableCommand): void {
    if (cur.words.length === 0 && cur.redirects.length === 0) return
    const source = this.src.slice(cur.start ?? 0, cur.end).trim()
    this.commands.push({ words: cur.words, redirects: cur.redirects, source })
  }

  private addWord(cur: MutableCommand, word: ShellWord, start: number, cases: CaseState[]): void {
    const atCommandStart = cur.words.length === 0 && cur.skipping === undefined
    const keyword = !word.quoted && !word.dynamic ? word.text : undefined
    if (cur.skipping !== undefined) {
      if (cur.skipping === 'case' && keyword === 'in') cases.push('pattern')
      if (cur.skipping === 'name' || (cur.skipping === 'case' && keyword === 'in')) cur.skipping = undefined
      return
    }
    if (atCommandStart && cases.at(-1) === 'pattern') {
      if (keyword === 'esac') cases.pop()
      return
    }
    if (atCommandStart && keyword !== undefined) {
      if (keyword === 'esac') {
        cases.pop()
        return
      }
      if (KEYWORDS.has(keyword)) return
      if (HEADERS.has(keyword)) {
        cur.skipping = keyword === 'case' ? 'case' : 'header'
        return
      }
      if (keyword === 'function') {
        cur.skipping = 'name'
        return
      }
    }
    cur.start ??= start
    cur.end = this.pos
    cur.words.push(word)
  }

  private readRedirect(cur: MutableCommand): void {
    const src = this.src
    cur.start ??= this.pos
    const op =
      /^(?:<<<|<<-|<<|&>>|&>|>>|>\||>&|<&|<>|<\(|>\(|<|>)/.exec(src.slice(this.pos, this.pos + 3))?.[0] ?? '<'
    this.pos += op.length
    if (op === '<(' || op === '>(') {
      const start = this.pos - 2
      this.nested(() => this.parseList(')'))
      cur.words.push({ text: src.slice(start, this.pos), dynamic: true, pattern: false, quoted: false })
      cur.end = this.pos
      return
    }
    while (this.pos < src.length && BLANKS.includes(src[this.pos] as string)) this.pos++
    if (this.pos >= src.length || OPERATORS.includes(src[this.pos] as string)) return
    const target = this.readWord()
    cur.end = this.pos
    if (op === '<<' || op === '<<-') {
      this.heredocs.push({ delimiter: target.text, stripTabs: op === '<<-', expands: !target.quoted })
      return
    }
    cur.redirects.push(target)
  }

  /** Here-document bodies start after the newline that ends their command line. */
  private readHeredocBodies(): void {
    const pending = this.heredocs
    this.heredocs = []
    for (const doc of pending) {
      const bodyStart = this.pos
      let bodyEnd = this.src.length
      while (this.pos < this.src.length) {
        const lineEnd = this.src.indexOf('\n', this.pos)
        const end = lineEnd < 0 ? this.src.length : lineEnd
        const line = this.src.slice(this.pos, end)
        const lineStart = this.pos
        this.pos = lineEnd < 0 ? end : end + 1
        if ((doc.stripTabs ? line.replace(/^\t+/, '') : line) === doc.delimiter) {
          bodyEnd = lineStart
          break
        }
      }
      if (doc.expands) this.scanExpansions(this.src.slice(bodyStart, bodyEnd))
    }
  }

  /** Runs the substitutions inside text that the shell expands like a double-quoted string. */
  private scanExpansions(text: string): void {
    const inner = new Lexer(text, this.nesting + 1)
    inner.readDoubleQuoted(false)
    this.commands.push(...inner.commands)
  }

  private readWord(): ShellWord {
    const src = this.src
    const word: ShellWord = { text: '', dynamic: false, pattern: false, quoted: false }
    // The unquoted characters, quoted parts replaced by NUL: only these can glob or brace-expand.
    let bare = ''
    while (this.pos < src.length) {
      const c = src[this.pos] as string
      if (BLANKS.includes(c) || OPERATORS.includes(c)) break
      if (c === '\\') {
        const next = src[this.pos + 1]
        this.pos += 2
        if (next !== undefined && next !== '\n') {
          word.text += next
          word.quoted = true
          bare += '\0'
        }
      } else if (c === "'") {
        const end = src.indexOf("'", this.pos + 1)
        const stop = end < 0 ? src.length : end
        word.text += src.slice(this.pos + 1, stop)
        word.quoted = true
        bare += '\0'
        this.pos = stop + 1
      } else if (c === '"') {
        this.pos++
        this.merge(word, this.readDoubleQuoted(true))
        bare += '\0'
      } else if (c === '$') {
        this.merge(word, this.readDollar(false))
        bare += '\0'
      } else if (c === '`') {
        this.merge(word, this.readBackticks())
        bare += '\0'
      } else {
        word.text += c
        bare += c
        this.pos++
      }
    }
    word.pattern = /[*?]|\[[^\]]*\]|\{[^}]*(?:,|\.\.)[^}]*\}/.test(bare)
    return word
  }

  private merge(into: ShellWord, part: ShellWord): void {
    into.text += part.text
    into.dynamic ||= part.dynamic
    into.quoted ||= part.quoted
  }

  /** Reads up to and including the closing double quote (a here-document body has none). */
  private readDoubleQuoted(closedByQuote: boolean): ShellWord {
    const src = this.src
    const word: ShellWord = { text: '', dynamic: false, pattern: false, quoted: true }
    while (this.pos < src.length) {
      const c = src[this.pos] as string
      if (c === '"' && closedByQuote) {
        this.pos++
        break
      }
      if (c === '\\') {
        const next = src[this.pos + 1]
        if (next !== undefined && '$`"\\\n'.includes(next)) {
          if (next !== '\n') word.text += next
          this.pos += 2
        } else {
          word.text += c
          this.pos++
        }
      } else if (c === '$') {
        this.merge(word, this.readDollar(true))
      } else if (c === '`') {
        this.merge(word, this.readBackticks())
      } else {
        word.text += c
        this.pos++
      }
    }
    return word
  }

  private readDollar(inDoubleQuotes: boolean): ShellWord {
    const src = this.src
    const start = this.pos
    const next = src[this.pos + 1]
    const dynamic = (): ShellWord => ({
      text: src.slice(start, this.pos),
      dynamic: true,
      pattern: false,
      quoted: false,
    })
    if (next === '(' && src[this.pos + 2] === '(') {
      this.pos = skipBalanced(src, this.pos + 1, '(', ')')
      return dynamic()
    }
    if (next === '(') {
      this.pos += 2
      this.nested(() => this.parseList(')'))
      return dynamic()
    }
    if (next === '{') {
      this.pos = skipBalanced(src, this.pos + 1, '{', '}')
      return dynamic()
    }
    if (next === "'" && !inDoubleQuotes) {
      this.pos += 2
      return { text: this.readAnsiC(), dynamic: false, pattern: false, quoted: true }
    }
    if (next === '"' && !inDoubleQuotes) {
      this.pos += 2
      return this.readDoubleQuoted(true)
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9@*#?$!-]/.exec(src.slice(this.pos + 1))?.[0]
    if (name !== undefined) {
      this.pos += 1 + name.length
      return dynamic()
    }
    this.pos++
    return { text: '$', dynamic: false, pattern: false, quoted: false }
  }

  /** `$'…'`: the escapes a shell resolves, so `$'\x63url'` is seen as `curl`. */
  private readAnsiC(): string {
    const src = this.src
    let text = ''
    while (this.pos < src.length && src[this.pos] !== "'") {
      const c = src[this.pos] as string
      if (c !== '\\') {
        text += c
        this.pos++
        continue
      }
      const rest = src.slice(this.pos + 1)
      const sequence =
        /^(?:x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{1,4}|U[0-9A-Fa-f]{1,8}|[0-7]{1,3}|c.|.)/s.exec(rest)?.[0] ?? ''
      text += decodeEscape(sequence)
      this.pos += 1 + sequence.length
    }
    this.pos++
    return text
  }

  private readBackticks(): ShellWord {
    const src = this.src
    const start = this.pos
    let inner = ''
    let i = this.pos + 1
    while (i < src.length && src[i] !== '`') {
      if (src[i] === '\\' && i + 1 < src.length && '`$\\'.includes(src[i + 1] as string)) {
        inner += src[i + 1]
        i += 2
      } else {
        inner += src[i]
        i++
      }
    }
    this.pos = Math.min(src.length, i + 1)
    this.nested(() => {
      const lexer = new Lexer(inner, this.nesting)
      lexer.parseList(null)
      this.commands.push(...lexer.commands)
    })
    return { text: src.slice(start, this.pos), dynamic: true, pattern: false, quoted: false }
  }

  /** Nested substitutions recurse; past the limit the rest is reported as unreadable. */
  private nested(read: () => void): void {
    if (this.nesting >= MAX_NESTING) {
      this.commands.push({
        words: [],
        redirects: [],
        source: this.src.slice(this.pos),
        opaque: 'the command nests shells or substitutions too deeply to read',
      })
      this.pos = this.src.length
      return
    }
    this.nesting++
    try {
      read()
    } finally {
      this.nesting--
    }
  }
}

interface MutableCommand {
  words: ShellWord[]
  redirects: ShellWord[]
  start: number | undefined
  end: number
  /** Set while the words are a loop/case header or a function's name rather than a command. */
  skipping: 'case' | 'header' | 'name' | undefined
}

/** Index just past the bracket that closes the one at `open` (quotes inside are skipped). */
function skipBalanced(src: string, open: number, left: string, right: string): number {
  let depth = 0
  for (let i = open; i < src.length; i++) {
    const c = src[i]
    if (c === '\\') i++
    else if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1)
      i = end < 0 ? src.length : end
    } else if (c === left) depth++
    else if (c === right && --depth === 0) return i + 1
  }
  return src.length
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
}

function decodeEscape(sequence: string): string {
  const head = sequence[0] ?? ''
  if (head === 'x' || head === 'u' || head === 'U')
    return String.fromCodePoint(Number.parseInt(sequence.slice(1), 16))
  if (/^[0-7]/.test(sequence)) return String.fromCharCode(Number.parseInt(sequence, 8))
  if (head === 'c') return String.fromCharCode((sequence.charCodeAt(1) || 64) & 31)
  return SIMPLE_ESCAPES[head] ?? head
}
