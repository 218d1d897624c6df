/** One word of a shell command line, as the parser in shell-words.ts resolves it. */
export interface ShellWord {
  /** The word after quote removal; unresolved expansions are kept as written (`$HOME`, `$(…)`). */
  text: string
  /** Part of the word is only known at run time. */
  dynamic: boolean
  /** Unquoted glob or brace characters: the shell may turn it into other words. */
  pattern: boolean
  /** Some part of the word was quoted or escaped (so it is never a reserved word or assignment). */
  quoted: boolean
}
