/**
 * Getopt-style argument walking, shared by the wrapper and command analysers. Commands are told
 * apart only by which options take a value; everything else about them is their own business.
 */
export interface OptionSpec {
  /** Short option letters that take a value (attached `-uroot` or as the next word `-u root`). */
  short?: string
  /** Long option names that take a value (`--user=root` or `--user root`). */
  long?: readonly string[]
}

export interface ParsedArgs {
  /** Short option letters seen, and long option names (without dashes). */
  flags: Set<string>
  /** Values of options that take one, by option (letter or long name). */
  values: Map<string, string[]>
  /** Non-option words, in order; everything after `--` counts. */
  operands: string[]
  /** Index (into the words given) of the first operand, or words.length. */
  firstOperand: number
}

/** Walks options until the first operand (POSIX order: options stop at the first operand). */
export function skipOptions(words: readonly string[], start: number, spec: OptionSpec): number {
  return parseArgs(words, start, spec, true).firstOperand
}

/** Parses options anywhere among the operands (GNU order), as most tools accept. */
export function parseArgs(
  words: readonly string[],
  start: number,
  spec: OptionSpec,
  stopAtOperand = false,
): ParsedArgs {
  const flags = new Set<string>()
  const values = new Map<string, string[]>()
  const operands: string[] = []
  let firstOperand = words.length
  const addValue = (key: string, value: string | undefined) => {
    flags.add(key)
    if (value !== undefined) values.set(key, [...(values.get(key) ?? []), value])
  }
  let i = start
  while (i < words.length) {
    const word = words[i] as string
    if (word === '--') {
      if (firstOperand === words.length) firstOperand = i + 1
      operands.push(...words.slice(i + 1))
      break
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=')
      const name = word.slice(2, eq < 0 ? undefined : eq)
      if (eq >= 0) addValue(name, word.slice(eq + 1))
      else if (spec.long?.includes(name)) {
        addValue(name, words[i + 1])
        i += 1
      } else flags.add(name)
      i += 1
      continue
    }
    if (word.startsWith('-') && word.length > 1) {
      i += 1 + shortCluster(word, spec.short ?? '', words[i + 1], addValue, flags)
      continue
    }
    if (firstOperand === words.length) firstOperand = i
    if (stopAtOperand) break
    operands.push(word)
    i += 1
  }
  return { flags, values, operands, firstOperand }
}

/** Returns how many following words the cluster consumed (0 or 1). */
function shortCluster(
  word: string,
  takesValue: string,
  next: string | undefined,
  addValue: (key: string, value: string | undefined) => void,
  flags: Set<string>,
): number {
  for (let k = 1; k < word.length; k++) {
    const letter = word[k] as string
    if (!takesValue.includes(letter)) {
      flags.add(letter)
      continue
    }
    if (k < word.length - 1) {
      addValue(letter, word.slice(k + 1))
      return 0
    }
    addValue(letter, next)
    return next === undefined ? 0 : 1
  }
  return 0
}
