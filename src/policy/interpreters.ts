/** Interpreters that take a program as an argument (`python -c`, `node -e`), for best-effort checks. */
export const INTERPRETER = /^(?:python[\d.]*|pypy[\d.]*|node(?:js)?|bun|deno|ruby|perl|php)$/

/** The flags that take inline code, per interpreter family. */
export function inlineCode(name: string, texts: string[]): string | undefined {
  if (name === 'deno') {
    const at = texts.indexOf('eval')
    return at > 0 ? texts[at + 1] : undefined
  }
  const flags = name.startsWith('py')
    ? ['-c']
    : name === 'php'
      ? ['-r']
      : name === 'ruby' || name === 'perl'
        ? ['-e', '-E']
        : ['-e', '--eval', '-p', '--print']
  for (let i = 1; i < texts.length; i++) {
    const text = texts[i] as string
    if (flags.includes(text)) return texts[i + 1]
    const attached = flags.find((flag) => flag.startsWith('--') && text.startsWith(`${flag}=`))
    if (attached) return text.slice(attached.length + 1)
  }
  return undefined
}
