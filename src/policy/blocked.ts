import { parseGit } from './git'
import type { ShellWord, SimpleCommand } from './shell-words'
import { basename } from './wrappers'

/**
 * A blocked-commands entry is a sequence of words, matched against commands rather than text:
 * - its first word is a program name, compared with each wrapper level's program (so `sudo`
 *   matches `sudo -u x wget`, and `curl` matches `/usr/bin/curl` but never `curly`);
 * - each later option must be among the command's options, short options compared letter by
 *   letter (`rm -rf` matches `rm -fr`, `rm -r -f` and `rm -Rf`; names compare case-insensitively);
 * - each later plain word must appear, in order, among the command's operands; for git the
 *   global options (`-C dir`, `--no-pager`) are skipped and the first one must be the subcommand
 *   (`git push` matches `git -C x push` but not `git log --grep push`).
 */
export function commandMatchesEntry(cmd: SimpleCommand, entry: string): boolean {
  const fragment = entryWords(entry)
  return fragment.length > 0 && cmd.views.some((view) => viewMatches(view, fragment))
}

/**
 * For prose (agent prompts) an entry matches only as the same sequence of whole words, edge
 * punctuation ignored: `rm -rf` matches "then run `rm -rf build`" and `curl` does not match "curly".
 */
export function proseMatchesEntry(prose: string, entry: string): boolean {
  const fragment = entryWords(entry)
    .map(trimPunctuation)
    .filter((word) => word !== '')
  if (fragment.length === 0) return false
  const words = proseWords(prose)
  for (let i = 0; i + fragment.length <= words.length; i++) {
    if (fragment.every((word, k) => words[i + k] === word)) return true
  }
  return false
}

function entryWords(entry: string): string[] {
  return entry
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '')
}

function proseWords(prose: string): string[] {
  return prose
    .toLowerCase()
    .split(/\s+/)
    .map(trimPunctuation)
    .filter((word) => word !== '')
}

function trimPunctuation(word: string): string {
  return word.replace(/^["'`()[\]{}<>,.;:!?*]+|["'`()[\]{}<>,.;:!?*]+$/g, '')
}

/** Long options that mean the same as a short one, where a blocked entry is likely to use either. */
const LONG_AS_SHORT: Record<string, Record<string, string>> = {
  rm: { recursive: 'r', force: 'f', dir: 'd' },
}

interface Shape {
  options: Set<string>
  operands: string[]
}

function viewMatches(view: ShellWord[], fragment: string[]): boolean {
  const head = view[0]
  const name = basename(fragment[0] as string)
  if (head === undefined || basename(head.text).toLowerCase() !== name) return false
  if (fragment.length === 1) return true
  let args: string[]
  let anchored = false
  if (name === 'git') {
    const git = parseGit(view)
    if (git?.sub === undefined) return false
    args = [git.sub.text, ...git.args]
    anchored = true
  } else args = view.slice(1).map((w) => w.text)
  const have = shape(
    args.map((arg) => arg.toLowerCase()),
    name,
  )
  const want = shape(fragment.slice(1), name)
  if ([...want.options].some((option) => !have.options.has(option))) return false
  if (anchored && want.operands.length > 0 && have.operands[0] !== want.operands[0]) return false
  let next = 0
  for (const operand of have.operands) {
    if (operand === want.operands[next]) next++
  }
  return next === want.operands.length
}

function shape(args: string[], name: string): Shape {
  const aliases = LONG_AS_SHORT[name] ?? {}
  const options = new Set<string>()
  const operands: string[] = []
  let optionsEnded = false
  for (const arg of args) {
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) operands.push(arg)
    else if (arg === '--') optionsEnded = true
    else if (arg.startsWith('--')) {
      const long = arg.slice(2).split('=')[0] as string
      options.add(aliases[long] ?? `--${long}`)
    } else for (const letter of arg.slice(1)) options.add(letter)
  }
  return { options, operands }
}
