import { type RosterTask, RUNNER_LABELS, RUNNERS, TASK_STATUSES, type TaskStatus } from '../domain'
import type { WorkspaceListing } from '../workspaces/registry'
import { CheckChip } from './check-verdicts'
import { attr, baseName, statusLabel } from './format'
import { shortProgress } from './roster-progress'
import { StatusBadge } from './status'

export interface TaskFilters {
  status?: TaskStatus
  workspace?: string
  runner?: (typeof RUNNERS)[number]
}

export type RosterGroupId = 'needs-you' | 'running' | 'review' | 'done' | 'failed'

/** The roster's groups, in the order the user should look at them: what waits for them first. */
export const ROSTER_GROUPS: { id: RosterGroupId; label: string; statuses: TaskStatus[] }[] = [
  { id: 'needs-you', label: 'Needs you', statuses: ['needs-input'] },
  { id: 'running', label: 'Running', statuses: ['running', 'queued'] },
  { id: 'review', label: 'In review', statuses: ['ready-for-review'] },
  { id: 'done', label: 'Done', statuses: ['completed'] },
  { id: 'failed', label: 'Failed or stopped', statuses: ['failed', 'stopped'] },
]

/** The group a status lands in; every status has exactly one. */
export function rosterGroup(status: TaskStatus): RosterGroupId {
  const group = ROSTER_GROUPS.find((candidate) => candidate.statuses.includes(status))
  if (!group) throw new Error(`no roster group for status ${status}`)
  return group.id
}

function RosterItem({ task, selected }: { task: RosterTask; selected: boolean }): JSX.Element {
  return (
    <li>
      <a
        class="roster-item"
        href={`/tasks/${task.id}/view`}
        data-task-id={task.id}
        data-task-status={task.status}
        data-task-state={task.state}
        data-task-title={attr(task.title)}
        aria-current={selected ? 'page' : undefined}
      >
        <span class="roster-title" safe>
          {task.title}
        </span>
        <StatusBadge status={task.status} state={task.state} />
        <span class="roster-meta">
          <span safe>{RUNNER_LABELS[task.runner]}</span>
          <span class="sep" aria-hidden="true">
            ·
          </span>
          <span safe>{baseName(task.workspace)}</span>
          <span class="sep" aria-hidden="true">
            ·
          </span>
          <span class="roster-progress" safe>
            {shortProgress(task)}
          </span>
          <CheckChip summary={task.check_summary} />
        </span>
      </a>
    </li>
  )
}

/** A roster entry: a task of its own, or a group of variants shown as one entry that opens to them. */
type RosterEntry = { task: RosterTask } | { groupId: string; variants: RosterTask[] }

/** Tasks in roster order, a group's variants gathered where its first (newest) one stands. */
function entriesOf(tasks: RosterTask[]): RosterEntry[] {
  const entries: RosterEntry[] = []
  const groups = new Map<string, RosterTask[]>()
  for (const task of tasks) {
    if (!task.group_id) {
      entries.push({ task })
      continue
    }
    const variants = groups.get(task.group_id)
    if (variants) variants.push(task)
    else {
      const first = [task]
      groups.set(task.group_id, first)
      entries.push({ groupId: task.group_id, variants: first })
    }
  }
  for (const entry of entries)
    if ('variants' in entry)
      entry.variants.sort(
        (a, b) => a.created_at.localeCompare(b.created_at) || a.title.localeCompare(b.title),
      )
  return entries
}

/** The roster section of an entry: a group stands where its most pressing variant would. */
function sectionOf(entry: RosterEntry): RosterGroupId {
  const statuses = 'task' in entry ? [entry.task.status] : entry.variants.map((task) => task.status)
  const section = ROSTER_GROUPS.find((candidate) =>
    statuses.some((status) => candidate.statuses.includes(status)),
  )
  return section?.id ?? rosterGroup(statuses[0] ?? 'queued')
}

const groupTitle = (task: RosterTask) => task.title.replace(/ · variant \d+\/\d+$/, '')

function GroupEntry({
  groupId,
  variants,
  selected,
}: {
  groupId: string
  variants: RosterTask[]
  selected?: string
}) {
  const [first] = variants
  if (!first) return ''
  return (
    <li class="roster-group-entry" data-group-id={groupId}>
      <details class="roster-variants" open={variants.some((task) => task.id === selected)}>
        <summary>
          <span class="roster-title" safe>
            {groupTitle(first)}
          </span>{' '}
          <span class="roster-meta" safe>
            {`${variants.length} variants · ${variants.map((task) => statusLabel(task.status)).join(', ')}`}
          </span>
        </summary>
        <ul class="roster-list">
          <li>
            <a class="roster-item" href={`/task-groups/${groupId}/view`} data-compare-group={groupId}>
              <span class="roster-title">Compare the variants</span>
            </a>
          </li>
          {variants.map((task) => (
            <RosterItem task={task} selected={task.id === selected} />
          ))}
        </ul>
      </details>
    </li>
  )
}

export interface RosterGroupsProps {
  tasks: RosterTask[]
  filtered: boolean
  /** The task the page shows, marked aria-current in the roster. */
  selected?: string
}

/** The tasks, grouped by what the user should do next; a task moves between groups as it changes state. */
export function RosterGroups({ tasks, filtered, selected }: RosterGroupsProps): JSX.Element {
  if (tasks.length === 0) {
    return (
      <p class="muted roster-empty">
        {filtered ? 'No tasks match these filters.' : 'No tasks yet: start one with “New task”.'}
      </p>
    )
  }
  const entries = entriesOf(tasks)
  return (
    <>
      {ROSTER_GROUPS.map((group) => {
        const members = entries.filter((entry) => sectionOf(entry) === group.id)
        if (members.length === 0) return ''
        const heading = `roster-h-${group.id}`
        return (
          <section class="roster-group" data-group={group.id} aria-labelledby={heading}>
            <h2 id={heading} class="roster-group-head">
              <span safe>{group.label}</span>{' '}
              <span class="count">
                {String(members.length) as 'safe'}
                <span class="visually-hidden"> tasks</span>
              </span>
            </h2>
            <ul class="roster-list">
              {members.map((entry) =>
                'task' in entry ? (
                  <RosterItem task={entry.task} selected={entry.task.id === selected} />
                ) : (
                  <GroupEntry groupId={entry.groupId} variants={entry.variants} selected={selected} />
                ),
              )}
            </ul>
          </section>
        )
      })}
    </>
  )
}

/** Whether any filter is set (the roster then says so when nothing matches). */
export const isFiltered = (filters: TaskFilters) =>
  Boolean(filters.status || filters.workspace || filters.runner)

export interface RosterProps {
  tasks: RosterTask[]
  filters: TaskFilters
  workspaces: WorkspaceListing[]
  selected?: string
}

/** The left pane: every task, live. Filters re-query the list; so do status changes arriving on #live. */
export function Roster({ tasks, filters, workspaces, selected }: RosterProps): JSX.Element {
  const fragment = selected ? `/ui/tasks?selected=${selected}` : '/ui/tasks'
  return (
    <nav id="roster" class="pane roster" aria-label="Tasks">
      <div class="roster-head">
        <p class="pane-title" aria-hidden="true">
          Tasks
        </p>
        <details class="roster-filters" open={isFiltered(filters)}>
          <summary>Filter</summary>
          <search>
            <form
              id="filters"
              class="filters"
              aria-label="Filter tasks"
              hx-get={fragment}
              hx-target="#task-list"
              hx-trigger="change"
            >
              <label>
                Status{' '}
                <select name="status">
                  <option value="">any</option>
                  {TASK_STATUSES.map((status) => (
                    <option value={status} selected={filters.status === status}>
                      {statusLabel(status) as 'safe'}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Workspace{' '}
                <select name="workspace">
                  <option value="">any</option>
                  {workspaces.map((workspace) => (
                    <option value={attr(workspace.path)} selected={filters.workspace === workspace.path} safe>
                      {workspace.name}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Runner{' '}
                <select name="runner">
                  <option value="">any</option>
                  {RUNNERS.map((runner) => (
                    <option value={runner} selected={filters.runner === runner}>
                      {RUNNER_LABELS[runner] as 'safe'}
                    </option>
                  ))}
                </select>
              </label>
            </form>
          </search>
        </details>
      </div>
      <div
        id="task-list"
        hx-get={fragment}
        hx-include="#filters"
        hx-trigger="status from:#live throttle:300ms, tasks-changed from:body"
      >
        <RosterGroups tasks={tasks} filtered={isFiltered(filters)} selected={selected} />
      </div>
      <div id="live" hx-sse:connect="/ui/events" hx-config='{"sse":{"pauseOnBackground":false}}' hidden></div>
    </nav>
  )
}
