import type { TaskRecord, TaskView } from '../domain'
import type { TaskLifecycle } from '../lifecycle'
import { stateName } from '../machines/task-state'
import type { Store } from '../storage/store'

/** How many events a task embeds: none, all, or the newest N. */
export type EventsEmbed = 'none' | 'all' | number

export const DEFAULT_EMBEDDED_EVENTS = 100

export function taskView(
  store: Store,
  lifecycle: TaskLifecycle,
  task: TaskRecord,
  embed: EventsEmbed,
): TaskView {
  const attempts = store.attempts.list(task.id)
  const events =
    embed === 'none'
      ? []
      : embed === 'all'
        ? store.events.after(task.id, 0, Number.MAX_SAFE_INTEGER)
        : store.events.latest(task.id, embed)
  // Embedded events end with the newest, whose seq is the last; the store is asked only without any.
  const lastSeq = events.at(-1)?.seq ?? (embed === 'all' ? 0 : store.events.maxSeq(task.id))
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
    pull_request_url: store.publishing.pullRequest(task.id)?.url ?? null,
  }
}
