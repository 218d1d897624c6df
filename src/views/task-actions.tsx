import type { AllowedActions } from './actions'

/** Every action posts to a page route and answers with a message for #flash (errors included). */
export const post = (taskId: string, action: string) => ({
  'hx-post': `/ui/tasks/${taskId}/${action}`,
  'hx-target': '#flash',
})

/** With `gated` (require_checks, and the checks did not pass), a merge past the gate needs a reason. */
export function MergeForm({ taskId, gated = false }: { taskId: string; gated?: boolean }): JSX.Element {
  return (
    <form class="action-form" {...post(taskId, 'merge')} hx-confirm="Merge these changes into the workspace?">
      <label>
        Strategy{' '}
        <select name="strategy">
          <option value="apply">apply as uncommitted changes</option>
          <option value="commit">one commit</option>
        </select>
      </label>
      <button
        type="submit"
        class="primary"
        data-shortcut="m"
        data-shortcut-label="Merge the changes"
        data-busy-label="Merging…"
      >
        Merge
      </button>
      {gated ? (
        <details class="force-merge">
          <summary>Merge although the checks did not pass</summary>
          <label>
            Reason (recorded) <input name="reason" maxlength="2000" />
          </label>
          <button type="submit" name="force" value="true" data-busy-label="Merging…">
            Force the merge
          </button>
        </details>
      ) : (
        ''
      )}
    </form>
  )
}

/** Unmerged work needs an explicit "force"; after a merge there is nothing to lose. */
export function CleanupForm({ taskId, merged }: { taskId: string; merged: boolean }): JSX.Element {
  return (
    <form
      class="action-form"
      {...post(taskId, 'cleanup')}
      hx-confirm="Remove the worktree? Its final state is archived first and can be restored."
    >
      {merged ? (
        ''
      ) : (
        <label>
          <input type="checkbox" name="force" value="true" /> even if never merged
        </label>
      )}
      <button type="submit" data-busy-label="Cleaning up…">
        Clean up worktree
      </button>
    </form>
  )
}

export function TaskActions({ taskId, actions }: { taskId: string; actions: AllowedActions }): JSX.Element {
  return (
    <div class="actions">
      {actions.approve ? (
        <button type="button" class="primary" {...post(taskId, 'approve')} data-busy-label="Starting…">
          Approve and run
        </button>
      ) : (
        ''
      )}
      {actions.start ? (
        <button
          type="button"
          class={actions.start === 'Start' ? 'primary' : ''}
          {...post(taskId, 'start')}
          data-busy-label="Starting…"
        >
          {actions.start}
        </button>
      ) : (
        ''
      )}
      {actions.stop ? (
        <button
          type="button"
          class="danger"
          {...post(taskId, 'stop')}
          hx-confirm="Stop this run?"
          data-shortcut="s"
          data-shortcut-label="Stop the run"
          data-busy-label="Stopping…"
        >
          Stop
        </button>
      ) : (
        ''
      )}
      {actions.review ? (
        <a
          class="button"
          href={`/tasks/${taskId}/review`}
          data-shortcut="v"
          data-shortcut-label="Review the changes"
          data-busy-label="Opening the diff…"
        >
          Review changes
        </a>
      ) : (
        ''
      )}
      {actions.merge ? <MergeForm taskId={taskId} /> : ''}
      {actions.cleanup ? <CleanupForm taskId={taskId} merged={actions.merged} /> : ''}
      {actions.restore ? (
        <button type="button" {...post(taskId, 'restore')} data-busy-label="Restoring…">
          Restore worktree
        </button>
      ) : (
        ''
      )}
      {actions.delete ? (
        <form
          class="action-form"
          {...post(taskId, 'delete')}
          hx-confirm="Delete this task and its timeline? Its worktree stays on disk."
        >
          <label>
            <input type="checkbox" name="force" value="true" /> even with unmerged changes
          </label>
          <button type="submit" class="danger" data-busy-label="Deleting…">
            Delete
          </button>
        </form>
      ) : (
        ''
      )}
    </div>
  )
}
