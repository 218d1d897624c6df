import { type OptionSpec, parseArgs, skipOptions } from './options'
import type { ShellWord } from './shell-word'

/**
 * Commands that run another command: `env X=1 curl`, `sudo -u x wget`, `timeout 5 ssh`, and the
 * ones that run a script given as a string (`sh -c '…'`, `eval`, `find -exec`, `watch`).
 */
export interface Unwrapped {
  views: ShellWord[][]
  argv: ShellWord[]
  opaque?: string
  /** Shell scripts the command runs, to be parsed as commands themselves. */
  scripts: string[]
  /** Commands given as argv inside the arguments (`find -exec cmd {} ;`). */
  commands: ShellWord[][]
}

/** Where the wrapped command starts, `null` when the wrapper runs none, or new words to read. */
type Handoff = number | null | { words: ShellWord[] }

type Wrapper = (texts: string[], words: ShellWord[]) => Handoff

const afterOptions =
  (spec: OptionSpec, operandsBefore = 0): Wrapper =>
  (texts) => {
    const first = skipOptions(texts, 1, spec)
    return first + operandsBefore < texts.length ? first + operandsBefore : null
  }

const WRAPPERS: Record<string, Wrapper> = {
  env: unwrapEnv,
  sudo: (texts) => {
    const first = skipOptions(texts, 1, {
      short: 'gCDprtTUu',
      long: [
        'user',
        'group',
        'chdir',
        'prompt',
        'role',
        'type',
        'close-from',
        'command-timeout',
        'other-user',
        'host',
      ],
    })
    return first < texts.length ? first : null
  },
  doas: afterOptions({ short: 'uC' }),
  nohup: afterOptions({}),
  builtin: afterOptions({}),
  busybox: afterOptions({}),
  setsid: afterOptions({}),
  unbuffer: afterOptions({}),
  time: afterOptions({ short: 'fo', long: ['format', 'output'] }),
  exec: afterOptions({ short: 'a' }),
  nice: afterOptions({ short: 'n', long: ['adjustment'] }),
  stdbuf: afterOptions({ short: 'ioe', long: ['input', 'output', 'error'] }),
  timeout: afterOptions({ short: 'sk', long: ['signal', 'kill-after'] }, 1),
  xargs: afterOptions({
    short: 'adEILnPs',
    long: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
  }),
  ionice: (texts) => {
    const args = parseArgs(
      texts,
      1,
      { short: 'cnpPu', long: ['class', 'classdata', 'pid', 'pgid', 'uid'] },
      true,
    )
    if (['p', 'P', 'u', 'pid', 'pgid', 'uid'].some((flag) => args.flags.has(flag))) return null
    return args.firstOperand < texts.length ? args.firstOperand : null
  },
  command: (texts) => {
    const first = skipOptions(texts, 1, {})
    // `command -v curl` only looks the name up.
    if (texts.slice(1, first).some((option) => /^-[a-zA-Z]*[vV]/.test(option))) return null
    return first < texts.length ? first : null
  },
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish'])
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=/
const MAX_WRAPPERS = 32

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

export function unwrap(initial: ShellWord[]): Unwrapped {
  const result: Unwrapped = { views: [], argv: [], scripts: [], commands: [] }
  let words = initial
  let i = skipAssignments(words, 0)
  for (let level = 0; level < MAX_WRAPPERS && i < words.length; level++) {
    const view = words.slice(i)
    result.views.push(view)
    const head = view[0] as ShellWord
    if (head.dynamic || head.pattern) {
      result.argv = view
      result.opaque = `the program name ${head.text} is only known when the command runs`
      return result
    }
    const wrapper = WRAPPERS[basename(head.text)]
    if (wrapper === undefined) {
      result.argv = view
      inspectProgram(view, result)
      return result
    }
    const handoff = wrapper(
      view.map((w) => w.text),
      view,
    )
    if (handoff === null) return result
    if (typeof handoff === 'number') {
      words = view
      i = skipAssignments(view, handoff)
    } else {
      words = handoff.words
      i = skipAssignments(words, 0)
    }
  }
  return result
}

function skipAssignments(words: ShellWord[], start: number): number {
  let i = start
  while (i < words.length && ASSIGNMENT.test((words[i] as ShellWord).text)) i++
  return i
}

/** `env [-i] [-u NAME] [-C dir] [-S 'cmd args'] [NAME=value]… [cmd]` */
function unwrapEnv(texts: string[], words: ShellWord[]): Handoff {
  let i = 1
  while (i < texts.length) {
    const text = texts[i] as string
    if (text === '--') {
      i++
      break
    }
    const split = /^(?:-S|--split-string=?)(.*)$/s.exec(text)
    if (split) {
      const inline = split[1] !== '' ? split[1] : undefined
      const script = inline ?? texts[i + 1] ?? ''
      return { words: [...splitWords(script), ...words.slice(inline === undefined ? i + 2 : i + 1)] }
    }
    if (!text.startsWith('-')) break
    i += ['-u', '-C', '--unset', '--chdir'].includes(text) ? 2 : 1
  }
  return i < texts.length ? i : null
}

/** `env -S` splits its string on blanks, honouring simple quotes. */
function splitWords(script: string): ShellWord[] {
  const parts = script.match(/'[^']*'|"[^"]*"|[^\s]+/g) ?? []
  return parts.map((part) => ({
    text: part.replace(/^['"]|['"]$/g, ''),
    dynamic: part.includes('$'),
    pattern: false,
    quoted: /^['"]/.test(part),
  }))
}

/** Programs whose arguments are themselves commands. */
function inspectProgram(argv: ShellWord[], result: Unwrapped): void {
  const name = basename((argv[0] as ShellWord).text)
  const texts = argv.map((w) => w.text)
  if (SHELLS.has(name)) inspectShell(argv, texts, result)
  else if (name === 'eval') {
    if (argv.slice(1).some((w) => w.dynamic)) result.opaque = 'eval runs a string built when the command runs'
    else result.scripts.push(texts.slice(1).join(' '))
  } else if (name === 'find') {
    for (let i = 1; i < argv.length; i++) {
      if (!['-exec', '-execdir', '-ok', '-okdir'].includes(texts[i] as string)) continue
      let end = i + 1
      while (end < argv.length && texts[end] !== ';' && texts[end] !== '+') end++
      if (end > i + 1) result.commands.push(argv.slice(i + 1, end))
      i = end
    }
  } else if (name === 'watch') {
    const first = skipOptions(texts, 1, { short: 'n', long: ['interval'] })
    const rest = argv.slice(first)
    if (rest.length === 0) return
    if (texts.slice(1, first).some((option) => option === '-x' || option === '--exec'))
      result.commands.push(rest)
    else result.scripts.push(rest.map((w) => w.text).join(' '))
  } else if (name === 'su') {
    const args = parseArgs(texts, 1, { short: 'cgGs', long: ['command', 'group', 'supp-group', 'shell'] })
    for (const script of [...(args.values.get('c') ?? []), ...(args.values.get('command') ?? [])])
      result.scripts.push(script)
  }
}

/**
 * `sh -c 'script'` runs its script; `sh file` runs a file (its content is not the checks'
 * business, as with any program); `sh` with neither, or `sh -s`, reads commands from stdin,
 * which the text cannot show.
 */
function inspectShell(argv: ShellWord[], texts: string[], result: Unwrapped): void {
  let runsString = false
  let readsStdin = false
  let i = 1
  while (i < texts.length) {
    const text = texts[i] as string
    if (text === '--' || text === '-') {
      readsStdin ||= text === '-'
      i++
      break
    }
    if (/^[-+]-?[a-zA-Z]/.test(text)) {
      if (text.startsWith('--')) {
        i += ['--rcfile', '--init-file'].includes(text) ? 2 : 1
        continue
      }
      runsString ||= text.slice(1).includes('c')
      readsStdin ||= text.slice(1).includes('s')
      i += /[oO]$/.test(text) ? 2 : 1
      continue
    }
    break
  }
  const operand = argv[i]
  if (runsString) {
    if (operand === undefined) return
    if (operand.dynamic) result.opaque = `${texts[0]} -c runs a script built when the command runs`
    else result.scripts.push(operand.text)
  } else if (readsStdin || operand === undefined) {
    result.opaque = `${texts[0]} reads the commands it runs from standard input`
  }
}
