import { mapValueError } from 'elysia'

/** A TypeBox value error as Elysia reports it; a union's carries one error list per alternative. */
interface ValueErrorLike {
  path: string
  message: string
  summary?: string
  schema?: Record<string, unknown>
  errors?: Iterable<ValueErrorLike>[]
}

const depth = (path: string) => path.split('/').length

/**
 * The error that says what is wrong. A union (`policy` is an object or null) reports only that
 * its value matched no alternative; the alternative whose first error lies deepest in the value
 * is the one the caller meant, so its error (`policy.max_runtime_minutes: Expected integer`) is
 * the one to show.
 */
function innermost(error: ValueErrorLike): ValueErrorLike {
  let current = error
  while (current.errors && current.errors.length > 0) {
    let next: ValueErrorLike | undefined
    // Judged by where each alternative's error ends up: a nested union (a runner host's signal)
    // goes deeper than the sibling alternative that merely lacks a field at the same level.
    for (const alternative of current.errors) {
      const [first] = alternative
      if (first && (!next || depth(innermost(first).path) > depth(innermost(next).path))) next = first
    }
    if (!next) break
    current = next
  }
  return current
}

/** "invalid body: policy.max_runtime_minutes: Expected integer", from a validation failure. */
export function validationMessage(type: string, first: ValueErrorLike | undefined): string {
  if (!first) return `invalid ${type}: invalid value`
  const error = innermost(first)
  const where = error.path ? `${error.path.replace(/^\//, '').replaceAll('/', '.')}: ` : ''
  // A word outside its vocabulary (src/models/vocabulary.ts) is told which words there are.
  const words = error.schema?.enum
  const what = Array.isArray(words)
    ? `Expected one of ${words.join(', ')}`
    : error === first
      ? (first.summary ?? first.message)
      : (mapValueError(error as never)?.summary ?? error.message)
  return `invalid ${type}: ${where}${what}`
}
