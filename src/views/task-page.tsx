import type { TaskView, ToolApproval } from '../domain'
import type { AllowedActions } from './actions'
import { Layout } from './layout'
import { TaskDetails } from './task-details'
import { TaskSummary } from './task-summary'
import { Timeline } from './timeline'

export interface TaskPageProps {
  task: TaskView
  actions: AllowedActions
  approvals: ToolApproval[]
  /** The roster beside it (see Roster). */
  roster: JSX.Element
}

/** A phone shows one pane at a time: the way back to the roster. */
export function BackToRoster(): JSX.Element {
  return (
    <a class="back-to-roster" href="/">
      <span aria-hidden="true">←</span> All tasks
    </a>
  )
}

/** One task selected: its header and actions and the live timeline in the middle, the inspector beside it. */
export function taskPage({ task, actions, approvals, roster }: TaskPageProps): string {
  return (
    <Layout
      title={task.title}
      scripts={['/assets/timeline.js']}
      roster={roster}
      inspector={<TaskDetails task={task} approvals={approvals} />}
      selected
    >
      <section id="task-pane" class="task-pane" data-task-id={task.id} aria-labelledby="task-title">
        <BackToRoster />
        <TaskSummary task={task} actions={actions} />
        <Timeline task={task} approvals={approvals} actions={actions} />
      </section>
    </Layout>
  ) as string
}
