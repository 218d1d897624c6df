import type { TaskView } from '../domain'
import type { AllowedActions } from './actions'
import { attr, dateTime, shortId } from './format'
import { StatusBadge } from './status'
import { TaskActions } from './task-actions'

export interface SummaryProps {
  task: TaskView
  actions: AllowedActions
}

/**
 * The task's header: title, state and the actions that state allows. The data-task-* attributes
 * feed the attention script (tab title, notifications); the live stream replaces this element
 * whenever the state changes.
 */
export function TaskSummary({ task, actions }: SummaryProps): JSX.Element {
  return (
    <section
      id="task-summary"
      class="summary"
      aria-labelledby="task-title"
      data-task-id={task.id}
      data-task-status={task.status}
      data-task-state={task.state}
      data-task-title={attr(task.title)}
    >
      <div class="summary-head">
        <h1 id="task-title" safe>
          {task.title}
        </h1>
        <StatusBadge status={task.status} state={task.state} />
      </div>
      <p class="meta">
        <span>{task.runner}</span> in <code safe>{task.workspace}</code> ·{' '}
        <span safe>{`created ${dateTime(task.created_at)}`}</span> ·{' '}
        <span title={task.id} safe>
          {shortId(task.id)}
        </span>
      </p>
      <details class="goal">
        <summary>{task.runner === 'shell' ? 'Command' : 'Goal'}</summary>
        <pre safe>{task.runner === 'shell' ? task.command : task.prompt}</pre>
      </details>
      <TaskActions taskId={task.id} actions={actions} />
    </section>
  )
}
