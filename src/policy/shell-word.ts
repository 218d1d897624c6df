/**
 * One word of a shell command as the shell would see it (see parseShell in shell-words.ts). Its own
 * module so that the wrapper table, which shell-words.ts uses, can name it without a cycle.
 */
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
