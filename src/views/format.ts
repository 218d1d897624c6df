import type { TaskStatus } from '../domain'

const pad = (n: number) => String(n).padStart(2, '0')

/** HH:MM:SS in the server's local time (the browser runs on the same machine). */
export function clock(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
}

/** YYYY-MM-DD HH:MM in local time. */
export function dateTime(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}

export function duration(millis: number): string {
  const seconds = Math.round(millis / 1000)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${pad(seconds % 60)}s`
  return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`
}

export const dollars = (cents: number): string => `$${(cents / 100).toFixed(2)}`

export const count = (n: number): string => n.toLocaleString('en-US')

/** Bytes in MB with one decimal (KB below one MB). */
export function megabytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export const shortId = (id: string): string => id.slice(0, 8)

/** The last path segment, for compact display of workspace paths. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '')
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || trimmed || '/'
}

const STATE_LABELS: Record<string, string> = {
  'queued.draft': 'draft',
  'queued.waiting': 'queued',
  'needs-input.approval': 'needs approval',
  'needs-input.prompt': 'needs input',
  'running.agent': 'running',
  'running.checks': 'running checks',
  'running.review': 'grading criteria',
  'ready-for-review': 'ready for review',
}

/** The words shown for a machine state such as "needs-input.approval". */
export function stateLabel(state: string): string {
  return STATE_LABELS[state] ?? state.replace(/-/g, ' ')
}

export const statusLabel = (status: TaskStatus): string => status.replace(/-/g, ' ')

const MAX_JSON = 8000

/** A tool input or similar value as readable, bounded text. */
export function jsonText(value: unknown): string {
  const full = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? '')
  return full.length > MAX_JSON
    ? `${full.slice(0, MAX_JSON)}\n… (${count(full.length - MAX_JSON)} more characters)`
    : full
}

/**
 * An attribute value that reads back exactly. kitajs escapes only the quote in attributes, which
 * is enough to stay inside them, but a literal "&amp;" in a title or path would decode to "&".
 */
export const attr = (value: string): string => value.replaceAll('&', '&amp;')
