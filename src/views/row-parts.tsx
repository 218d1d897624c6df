import type { JsonObject } from '../domain'
import { ansiToHtml } from './ansi'

/** The pieces every timeline row is built from. */

export const text = (meta: JsonObject | null, key: string): string | null => {
  const value = meta?.[key]
  return typeof value === 'string' ? value : null
}

export const num = (meta: JsonObject | null, key: string): number | null => {
  const value = meta?.[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** The first line, cut to a length that fits a summary line. */
export function oneLine(value: string, max = 160): string {
  const line = value.trimStart().split('\n', 1)[0] ?? ''
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

export function Terminal({ output }: { output: string }): JSX.Element {
  return <pre class="term">{ansiToHtml(output) as 'safe'}</pre>
}

export function Plain({ message }: { message: string }): JSX.Element {
  return (
    <span class="msg" safe>
      {message}
    </span>
  )
}

/** Inputs and long outputs fold away; the summary line stays visible. */
export function Fold({
  summary,
  children,
  open = false,
}: {
  summary: string
  children: JSX.Element
  open?: boolean
}): JSX.Element {
  return (
    <details open={open}>
      <summary safe>{summary}</summary>
      {children}
    </details>
  )
}

export type BadgeTone = 'ok' | 'error' | 'wait' | 'muted'

export function Badge({ tone, label }: { tone: BadgeTone; label: string }): JSX.Element {
  return (
    <span class={`badge badge-${tone}`} safe>
      {label}
    </span>
  )
}

/**
 * What a later event puts into the card it belongs to (a tool's result into its call, a decision
 * into its approval): one part for the card's summary line, one for its body. The server fills a
 * card it renders together with that event; otherwise the event's own row carries the parts as
 * `data-fill` and timeline.js moves them into the card's `data-slot`s when both are in the page.
 */
export interface Fills {
  status: JSX.Element
  body: JSX.Element
}

/** An attached event's own row: its parts, ready to be moved into its card. */
export function FillParts({ fills }: { fills: Fills }): JSX.Element {
  return (
    <>
      <span class="card-status" data-fill="status">
        {fills.status}
      </span>
      <div class="card-slot" data-fill="body">
        {fills.body}
      </div>
    </>
  )
}
