import type { TaskStatus } from '../domain'
import { stateLabel } from './format'

/** The task's state as a coloured badge; the full machine state names the sub-state (approval, prompt…). */
export function StatusBadge({ status, state }: { status: TaskStatus; state?: string }): JSX.Element {
  return (
    <span class={`badge badge-${status}`} data-status={status} safe>
      {stateLabel(state ?? status)}
    </span>
  )
}
