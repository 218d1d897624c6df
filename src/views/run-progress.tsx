import type { TaskView } from '../domain'

export type StepState = 'done' | 'current' | 'pending' | 'failed' | 'skipped'

export interface ProgressStep {
  id: 'queued' | 'workspace' | 'running' | 'review' | 'merged'
  label: string
  state: StepState
}

type StepTask = Pick<
  TaskView,
  'status' | 'state' | 'attempts' | 'current_attempt' | 'isolated' | 'worktree_merged_at' | 'diff_stat'
>

const ENDED = new Set(['ready-for-review', 'completed', 'failed', 'stopped'])

/**
 * Where the latest run is on its way from the queue to a merge, read from the task's state and its
 * latest attempt: queued → preparing the worktree → running → review → merged. A run that failed
 * or was stopped marks the step it ended in; a task that ran in place skips the worktree and merge.
 */
export function progressSteps(task: StepTask): ProgressStep[] {
  const attempt = task.current_attempt
  const started = attempt !== null
  // The attempt's isolation is known once its workspace was prepared.
  const prepared = attempt !== null && attempt.isolated !== null && attempt.isolated !== undefined
  const inPlace = task.isolated === false
  const ended = ENDED.has(task.status)
  const broke = task.status === 'failed' || task.status === 'stopped'
  const merged = task.worktree_merged_at !== null && !broke

  const queued: StepState = started || task.status !== 'queued' ? 'done' : 'current'
  const workspace: StepState = inPlace
    ? 'skipped'
    : prepared
      ? 'done'
      : broke && started
        ? 'failed'
        : started && !ended
          ? 'current'
          : 'pending'
  const running: StepState = !prepared ? 'pending' : broke ? 'failed' : ended ? 'done' : 'current'
  const review: StepState =
    broke || !ended ? 'pending' : merged || task.status === 'completed' ? 'done' : 'current'
  const merge: StepState =
    inPlace || (task.status === 'completed' && !merged && task.diff_stat === null)
      ? 'skipped'
      : merged
        ? 'done'
        : 'pending'
  return [
    { id: 'queued', label: 'Queued', state: queued },
    {
      id: 'workspace',
      label: inPlace ? 'In the workspace (no worktree)' : 'Preparing worktree',
      state: workspace,
    },
    {
      id: 'running',
      label: task.status === 'needs-input' ? 'Running (waits for you)' : 'Running',
      state: running,
    },
    { id: 'review', label: 'Review', state: review },
    { id: 'merged', label: 'Merged', state: merge },
  ]
}

const STATE_WORDS: Record<StepState, string> = {
  done: 'done',
  current: 'in progress',
  pending: 'not yet',
  failed: 'ended here',
  skipped: 'skipped',
}

/** The steps as a list a screen reader reads in order, the current one marked as such. */
export function RunProgress({ task }: { task: StepTask }): JSX.Element {
  return (
    <ol class="steps" aria-label="Progress of the latest run">
      {progressSteps(task).map((step) => (
        <li
          class={`step step-${step.state}`}
          data-step={step.id}
          aria-current={step.state === 'current' ? 'step' : undefined}
        >
          <span class="step-dot" aria-hidden="true"></span>
          <span class="step-label" safe>
            {step.label}
          </span>
          <span class="visually-hidden" safe>{` (${STATE_WORDS[step.state]})`}</span>
        </li>
      ))}
    </ol>
  )
}
