import type { RosterTask } from '../domain'
import type { PolicyPreset } from '../policy'
import type { RunnerInfo } from '../workers/runner-catalog'
import type { WorkspaceListing } from '../workspaces/registry'
import { DispatchForm } from './dispatch-form'
import { Layout } from './layout'
import { RunnerPanel } from './runners'
import { Roster, type TaskFilters } from './task-list'
import { WorkspacePanel } from './workspaces'

export interface DashboardProps {
  workspaces: WorkspaceListing[]
  runners: RunnerInfo[]
  presets: PolicyPreset[]
  tasks: RosterTask[]
  filters: TaskFilters
}

/**
 * Mission control with no task selected: the roster, the composer in the middle, and where new
 * tasks run (workspace, runners) as its inspector.
 */
export function dashboardPage(props: DashboardProps): string {
  return (
    <Layout
      title="Mission control"
      scripts={['/assets/dispatch.js']}
      roster={<Roster tasks={props.tasks} filters={props.filters} workspaces={props.workspaces} />}
      inspector={
        <aside id="inspector" class="pane inspector" tabindex="0" aria-label="Where new tasks run">
          <WorkspacePanel workspaces={props.workspaces} />
          <RunnerPanel runners={props.runners} />
        </aside>
      }
    >
      <section id="task-pane" class="task-pane task-pane-empty" aria-label="New task">
        <h1 class="visually-hidden">Mission control</h1>
        <DispatchForm runners={props.runners} presets={props.presets} />
        <p class="muted pick-hint">
          Pick a task in the roster to follow it, answer it and review its changes; a task that needs you is
          listed first.
        </p>
      </section>
    </Layout>
  ) as string
}
