import { isObject } from '../json'

/**
 * Short previews of transcript records, as the original inventory made them: the first
 * meaningful text, whitespace collapsed, anything token-like redacted, cut to 220 characters.
 */

const MAX_PREVIEW = 220
const MAX_PARTS = 3
const SECRET_WORD = /api_key|apikey|token=|secret=/i
const SECRET_PREFIX = /^(sk-|xoxb-|ghp_)/

/** Claude prefixes prompts with reminders meant for the model, not for a reader. */
const isReminder = (text: string): boolean => text.trimStart().startsWith('<system-reminder>')

function extract(value: unknown): string | null {
  if (typeof value === 'string') return value.trim().length > 2 && !isReminder(value) ? value : null
  if (Array.isArray(value)) {
    const parts = value.map(extract).filter((part): part is string => part !== null)
    return parts.length > 0 ? parts.slice(0, MAX_PARTS).join(' ') : null
  }
  if (!isObject(value)) return null
  if (value.type === 'tool_use' && typeof value.name === 'string') return `tool: ${value.name}`
  for (const key of ['text', 'lastPrompt', 'thread_name', 'content', 'message']) {
    const found = extract(value[key])
    if (found) return found
  }
  return null
}

const redact = (text: string): string =>
  text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => (SECRET_WORD.test(word) || SECRET_PREFIX.test(word) ? '[redacted]' : word))
    .join(' ')

export function preview(value: unknown): string | null {
  const text = extract(value)
  if (!text) return null
  const clean = redact(text)
  if (!clean) return null
  return clean.length > MAX_PREVIEW ? `${clean.slice(0, MAX_PREVIEW)}...` : clean
}
