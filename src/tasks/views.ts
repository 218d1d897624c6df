import type { RosterTask, TaskRecord, TaskView } from '../domain'
import type { TaskStates } from '../lifecycle'
import { phaseOfState } from '../machines/task-state'
import type { Store } from '../storage/store'
import type { TaskListQuery } from '../storage/tasks'

/** How many events a task embeds: none, all, or the newest N. */
export type EventsEmbed = 'none' | 'all' | number

export const DEFAULT_EMBEDDED_EVENTS = 100

/** The API's view of each task (a page of them reads its attempts, states, check summaries and pull requests in one query each). */
export function taskViews(
  store: Store,
  states: TaskStates,
  tasks: readonly TaskRecord[],
  embed: EventsEmbed,
): TaskView[] {
  const ids = tasks.map((task) => task.id)
  const hostNames = new Map<string, string | null>()
  const hostName = (id: string) => {
    if (!hostNames.has(id)) hostNames.set(id, store.runnerHosts.get(id)?.name ?? null)
    return hostNames.get(id) ?? null
  }
  const attemptsOf = store.attempts.listFor(ids)
  const stateOf = states.stateNames(ids)
  const checkSummaries = store.checks.summaries(ids)
  const pullRequestUrls = store.publishing.pullRequestUrls(ids)
  // Embedded events end with the newest, whose seq is the last: the store is asked only without any.
  const embedsSome = embed === 'all' || (embed !== 'none' && embed > 0)
  const lastSeqs = embedsSome ? null : store.events.maxSeqs(ids)
  return tasks.map((task) => {
    const attempts = (attemptsOf.get(task.id) ?? []).map((attempt) => ({
      ...attempt,
      runner_host: attempt.runner_host_id ? hostName(attempt.runner_host_id) : null,
    }))
    const events =
      embed === 'none'
        ? []
        : embed === 'all'
          ? store.events.after(task.id, 0, Number.MAX_SAFE_INTEGER)
          : store.events.latest(task.id, embed)
    // With some asked for, none embedded means none stored.
    const lastSeq = events.at(-1)?.seq ?? lastSeqs?.get(task.id) ?? 0
    const current = attempts.at(-1) ?? null
    return {
      ...task,
      events,
      attempts,
      current_attempt: current,
      state: stateOf.get(task.id) as string,
      phase: phaseOfState(stateOf.get(task.id) as string),
      last_seq: lastSeq,
      // Seqs are contiguous from 1 and events are never removed one by one, so the count is the last seq.
      event_count: lastSeq,
      events_truncated: events.length < lastSeq,
      sandboxed: current?.sandboxed ?? null,
      isolated: current?.isolated ?? null,
      check_summary: checkSummaries.get(task.id) ?? null,
      pull_request_url: pullRequestUrls.get(task.id) ?? null,
    }
  })
}

/** A page of tasks as roster entries: the few columns an entry shows, their states and check summaries. */
export function rosterTasks(store: Store, states: TaskStates, query: TaskListQuery): RosterTask[] {
  const rows = store.tasks.rosterEntries(query)
  const ids = rows.map((row) => row.id)
  const stateOf = states.stateNames(ids)
  const checkSummaries = store.checks.summaries(ids)
  return rows.map(({ runtime_millis, started_at, finished_at, ...row }) => ({
    ...row,
    state: stateOf.get(row.id) as string,
    check_summary: checkSummaries.get(row.id) ?? null,
    current_attempt: started_at === null ? null : { started_at, finished_at },
    runtime_millis: typeof runtime_millis === 'number' ? runtime_millis : 0,
  }))
}
