import type { TaskView } from '../domain'
import type { PolicyPreset } from '../policy'
import type { RunnerInfo } from '../workers/runner-catalog'
import type { WorkspaceListing } from '../workspaces/registry'
import { DispatchForm } from './dispatch-form'
import { Layout } from './layout'
import { RunnerPanel } from './runners'
import { type TaskFilters, TaskListPanel } from './task-list'
import { WorkspacePanel } from './workspaces'

export interface DashboardProps {
  workspaces: WorkspaceListing[]
  runners: RunnerInfo[]
  presets: PolicyPreset[]
  tasks: TaskView[]
  filters: TaskFilters
}

/** The start page: where to run, what can run, a new task, and every task live. */
export function dashboardPage(props: DashboardProps): string {
  return (
    <Layout title="Dashboard" scripts={['/assets/dispatch.js']}>
      <div class="dashboard">
        <div class="side">
          <WorkspacePanel workspaces={props.workspaces} />
          <RunnerPanel runners={props.runners} />
        </div>
        <div class="main-col">
          <DispatchForm runners={props.runners} presets={props.presets} />
          <TaskListPanel tasks={props.tasks} filters={props.filters} workspaces={props.workspaces} />
        </div>
      </div>
    </Layout>
  ) as string
}
