import { RUNNER_LABELS, RUNNERS, TASK_STATUSES, type TaskStatus, type TaskView } from '../domain'
import type { WorkspaceListing } from '../workspaces/registry'
import { attr, baseName, dateTime, statusLabel } from './format'
import { StatusBadge } from './status'

export interface TaskFilters {
  status?: TaskStatus
  workspace?: string
  runner?: (typeof RUNNERS)[number]
}

/** The roster's groups, in the order the user should look at them. */
const GROUPS: { label: string; statuses: TaskStatus[] }[] = [
  { label: 'Needs attention', statuses: ['needs-input', 'failed'] },
  { label: 'Ready for review', statuses: ['ready-for-review'] },
  { label: 'Running', statuses: ['running', 'queued'] },
  { label: 'Done', statuses: ['completed', 'stopped'] },
]

const LAST_MESSAGE_CHARS = 160

function TaskRow({ task }: { task: TaskView }): JSX.Element {
  const last = task.events.at(-1)?.message ?? task.prompt
  return (
    <li
      class="task-row"
      data-task-id={task.id}
      data-task-status={task.status}
      data-task-title={attr(task.title)}
    >
      <div class="task-row-head">
        <a href={`/tasks/${task.id}/view`} safe>
          {task.title}
        </a>
        <StatusBadge status={task.status} state={task.state} />
      </div>
      <div class="meta">
        <span safe>{RUNNER_LABELS[task.runner]}</span> ·{' '}
        <span title={attr(task.workspace)} safe>
          {baseName(task.workspace)}
        </span>{' '}
        ·{' '}
        <time datetime={task.updated_at} safe>
          {dateTime(task.updated_at)}
        </time>
      </div>
      {last ? (
        <p class="last" safe>
          {last.length > LAST_MESSAGE_CHARS ? `${last.slice(0, LAST_MESSAGE_CHARS)}…` : last}
        </p>
      ) : (
        ''
      )}
    </li>
  )
}

/** The task list, grouped by what the user should do next; a task moves between groups as it changes state. */
export function TaskGroups({ tasks, filtered }: { tasks: TaskView[]; filtered: boolean }): JSX.Element {
  if (tasks.length === 0) {
    return (
      <p class="muted">{filtered ? 'No tasks match these filters.' : 'No tasks yet: start one above.'}</p>
    )
  }
  return (
    <>
      {GROUPS.map((group) => {
        const members = tasks.filter((task) => group.statuses.includes(task.status))
        if (members.length === 0) return ''
        return (
          <section class="group" aria-label={group.label}>
            <h3>
              <span safe>{group.label}</span> <span class="count">{String(members.length) as 'safe'}</span>
            </h3>
            <ul class="task-rows">
              {members.map((task) => (
                <TaskRow task={task} />
              ))}
            </ul>
          </section>
        )
      })}
    </>
  )
}

/** Filters re-query the list; status changes arriving on the #live stream do the same. */
export function TaskListPanel({
  tasks,
  filters,
  workspaces,
}: {
  tasks: TaskView[]
  filters: TaskFilters
  workspaces: WorkspaceListing[]
}): JSX.Element {
  return (
    <section class="panel tasks" aria-labelledby="tasks-h">
      <div class="panel-head">
        <h2 id="tasks-h">Tasks</h2>
        <search>
          <form
            id="filters"
            class="filters"
            aria-label="Filter tasks"
            hx-get="/ui/tasks"
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
      </div>
      <div
        id="task-list"
        hx-get="/ui/tasks"
        hx-include="#filters"
        hx-trigger="status from:#live throttle:300ms, tasks-changed from:body"
      >
        <TaskGroups tasks={tasks} filtered={Boolean(filters.status || filters.workspace || filters.runner)} />
      </div>
      <div id="live" hx-sse:connect="/ui/events" hx-config='{"sse":{"pauseOnBackground":false}}' hidden></div>
    </section>
  )
}
