import type { AttemptRecord, TaskEvent, TaskRecord } from '../domain'
import type { TaskLifecycle } from '../lifecycle'
import { stateName } from '../machines/task-state'
import type { Store } from '../storage/store'

/** How many events a task embeds: none, all, or the newest N. */
export type EventsEmbed = 'none' | 'all' | number

export const DEFAULT_EMBEDDED_EVENTS = 100

/** The task as the API returns it: the original's shape plus what makes it bounded and live. */
export interface TaskView extends TaskRecord {
  events: TaskEvent[]
  attempts: AttemptRecord[]
  current_attempt: AttemptRecord | null
  /** The machine's full state (e.g. "needs-input.approval"). */
  state: string
  /** Seq of the newest event: a client continues the stream from here. */
  last_seq: number
  event_count: number
  /** Events left out of `events` (older ones; page them with GET /tasks/{id}/events). */
  events_truncated: boolean
  /** Whether the latest attempt ran inside the sandbox; null before any ran. */
  sandboxed: boolean | null
  /** Whether the latest attempt ran in its own worktree; null before any ran. */
  isolated: boolean | null
}

export function taskView(
  store: Store,
  lifecycle: TaskLifecycle,
  task: TaskRecord,
  embed: EventsEmbed,
): TaskView {
  const attempts = store.attempts.list(task.id)
  const lastSeq = store.events.maxSeq(task.id)
  const events =
    embed === 'none'
      ? []
      : embed === 'all'
        ? store.events.after(task.id, 0, Number.MAX_SAFE_INTEGER)
        : store.events.latest(task.id, embed)
  const current = attempts.at(-1) ?? null
  return {
    ...task,
    events,
    attempts,
    current_attempt: current,
    state: stateName(lifecycle.snapshot(task.id)),
    last_seq: lastSeq,
    // Seqs are contiguous from 1 and events are never removed one by one, so the count is the last seq.
    event_count: lastSeq,
    events_truncated: events.length < lastSeq,
    sandboxed: current?.sandboxed ?? null,
    isolated: current?.isolated ?? null,
  }
}
