import type { RosterTask, TaskRecord, TaskView } from '../domain'
import type { TaskStates } from '../lifecycle'
import { phaseOfState } from '../machines/task-state'
import type { Store } from '../storage/store'
import type { TaskListQuery } from '../storage/tasks'

/** How many events a task embeds: none, all, or the newest N. */
export type EventsEmbed = 'none' | 'all' | number

export const DEFAULT_EMBEDDED_EVENTS = 100

/** Everything a task's view adds to its record, but its events. */
type ViewExtras = Omit<TaskView, keyof TaskRecord | 'events'>

/** What a view says of the events it embeds: how many, and the newest one's seq. */
interface EmbeddedEvents {
  count: number
  lastSeq: number | null
}

/**
 * The views of `tasks` but their events, for a page of them: attempts, states, check summaries
 * and pull requests are read in one query each, the last seqs only when no events are embedded.
 */
function viewExtras(
  store: Store,
  states: TaskStates,
  tasks: readonly TaskRecord[],
  embed: EventsEmbed,
): (task: TaskRecord, embedded: EmbeddedEvents) => ViewExtras {
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
  const lastSeqs = embedsSome(embed) ? null : store.events.maxSeqs(ids)
  return (task, embedded) => {
    const attempts = (attemptsOf.get(task.id) ?? []).map((attempt) => ({
      ...attempt,
      runner_host: attempt.runner_host_id ? hostName(attempt.runner_host_id) : null,
    }))
    // With some asked for, none embedded means none stored.
    const lastSeq = embedded.lastSeq ?? lastSeqs?.get(task.id) ?? 0
    const current = attempts.at(-1) ?? null
    return {
      attempts,
      current_attempt: current,
      state: stateOf.get(task.id) as string,
      phase: phaseOfState(stateOf.get(task.id) as string),
      last_seq: lastSeq,
      // Seqs are contiguous from 1 and events are never removed one by one, so the count is the last seq.
      event_count: lastSeq,
      events_truncated: embedded.count < lastSeq,
      sandboxed: current?.sandboxed ?? null,
      isolated: current?.isolated ?? null,
      check_summary: checkSummaries.get(task.id) ?? null,
      pull_request_url: pullRequestUrls.get(task.id) ?? null,
    }
  }
}

const embedsSome = (embed: EventsEmbed): embed is number | 'all' =>
  embed === 'all' || (embed !== 'none' && embed > 0)

/** The API's view of each task. */
export function taskViews(
  store: Store,
  states: TaskStates,
  tasks: readonly TaskRecord[],
  embed: EventsEmbed,
): TaskView[] {
  const extras = viewExtras(store, states, tasks, embed)
  return tasks.map((task) => {
    const events =
      embed === 'none'
        ? []
        : embed === 'all'
          ? store.events.after(task.id, 0, Number.MAX_SAFE_INTEGER)
          : store.events.latest(task.id, embed)
    return { ...task, events, ...extras(task, { count: events.length, lastSeq: events.at(-1)?.seq ?? null }) }
  })
}

const NO_EVENTS = { json: new TextEncoder().encode('[]'), count: 0, lastSeq: null }

/**
 * Each task's view as the JSON the API sends, in pieces: the events are SQLite's bytes, spliced in
 * where the object has them (after the record's fields). A page embeds thousands of events, and a
 * JavaScript object for each, then its text, cost more than reading them.
 */
function viewsJson(
  store: Store,
  states: TaskStates,
  tasks: readonly TaskRecord[],
  embed: EventsEmbed,
): BlobPart[][] {
  const extras = viewExtras(store, states, tasks, embed)
  return tasks.map((task) => {
    const events = embedsSome(embed) ? store.events.latestJson(task.id, embed) : NO_EVENTS
    // A record always has fields, so its text ends in `}` after at least one of them.
    return [
      `${JSON.stringify(task).slice(0, -1)},"events":`,
      events.json,
      `,${JSON.stringify(extras(task, events)).slice(1)}`,
    ]
  })
}

/** `taskViews` as the JSON array the API sends. */
export function taskViewsJson(
  store: Store,
  states: TaskStates,
  tasks: readonly TaskRecord[],
  embed: EventsEmbed,
): Blob {
  const views = viewsJson(store, states, tasks, embed)
  return new Blob(['[', ...views.flatMap((view, i) => (i === 0 ? view : [',', ...view])), ']'])
}

/** One task's view as the JSON the API sends. */
export function taskViewJson(store: Store, states: TaskStates, task: TaskRecord, embed: EventsEmbed): Blob {
  return new Blob(viewsJson(store, states, [task], embed)[0])
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
