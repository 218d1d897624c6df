import { isAbsolute, relative } from 'node:path'
import { clip, firstLine, isObject, str } from './json'

/** Short human-readable labels for tool calls, shared by both CLIs' parsers. */

const LABEL_MAX = 200

/** A path inside the working directory is shown relative to it; anything else stays absolute. */
export function displayPath(path: string, cwd: string | undefined): string {
  if (!cwd || !isAbsolute(path)) return path
  const rel = relative(cwd, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

/** Codex runs commands as `/bin/bash -lc '<script>'`; the script is what a reader wants to see. */
export function unwrapShell(command: string): string {
  const match = /^\S*\/(?:ba|z)?sh\s+-l?c\s+(['"])([\s\S]*)\1$/.exec(command.trim())
  return match?.[2] ?? command
}

export const commandLabel = (command: string): string =>
  clip(`$ ${firstLine(unwrapShell(command))}`, LABEL_MAX)

export function describeToolCall(tool: string, input: unknown, cwd?: string): string {
  const fields = isObject(input) ? input : {}
  const path = str(fields.file_path) ?? str(fields.notebook_path) ?? str(fields.path)
  switch (tool) {
    case 'Bash':
      return commandLabel(str(fields.command) ?? '')
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
    case 'Read':
    case 'NotebookEdit':
      return `${tool} ${displayPath(path ?? '?', cwd)}`
    case 'Grep':
    case 'Glob':
      return clip(`${tool} ${str(fields.pattern) ?? ''}`, LABEL_MAX)
    case 'WebFetch':
    case 'WebSearch':
      return clip(`${tool} ${str(fields.url) ?? str(fields.query) ?? ''}`, LABEL_MAX)
    default:
      return clip(`${tool} ${JSON.stringify(input) ?? ''}`, LABEL_MAX)
  }
}
