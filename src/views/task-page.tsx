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
}

/** One task: its header and actions, the live timeline, and the details beside it. */
export function taskPage({ task, actions, approvals }: TaskPageProps): string {
  return (
    <Layout title={task.title} scripts={['/assets/timeline.js']}>
      <TaskSummary task={task} actions={actions} />
      <div class="task-grid">
        <Timeline task={task} approvals={approvals} actions={actions} />
        <TaskDetails task={task} approvals={approvals} />
      </div>
    </Layout>
  ) as string
}
