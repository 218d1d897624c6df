import type { TaskChecksView, TaskDiffView, TaskView, ToolApproval } from '../domain'
import type { AllowedActions } from './actions'
import { ChecksPanel } from './check-verdicts'
import { type DiffLayout, renderDiff } from './diff-html'
import { attr, count } from './format'
import { Layout } from './layout'
import { BaseSection, CommentsSection, PublishSection, type ReviewLoop } from './review-loop'
import { StatusBadge } from './status'
import { CleanupForm, MergeForm } from './task-actions'
import { TaskDetails } from './task-details'
import { BackToRoster } from './task-page'

export interface ReviewProps {
  task: TaskView
  diff: TaskDiffView
  layout: DiffLayout
  actions: AllowedActions
  checks: TaskChecksView
  loop: ReviewLoop
}

export interface ReviewPageProps extends ReviewProps {
  approvals: ToolApproval[]
  /** The roster beside it (see Roster). */
  roster: JSX.Element
}

const FILE_STATUS: Record<string, string> = {
  added: 'added',
  modified: 'modified',
  deleted: 'deleted',
  renamed: 'renamed',
}

function FileTable({ diff }: { diff: TaskDiffView }): JSX.Element {
  return (
    <table class="files">
      <caption class="visually-hidden">Changed files</caption>
      <thead>
        <tr>
          <th scope="col">Change</th>
          <th scope="col">File</th>
          <th scope="col" class="num">
            Added
          </th>
          <th scope="col" class="num">
            Deleted
          </th>
        </tr>
      </thead>
      <tbody>
        {diff.files.map((file) => (
          <tr>
            <td safe>{FILE_STATUS[file.status] ?? file.status}</td>
            <td>
              <code safe>{file.old_path ? `${file.old_path} → ${file.path}` : file.path}</code>
              {file.binary ? <span class="tag">binary</span> : ''}
            </td>
            <td class="num add" safe>{`+${count(file.additions)}`}</td>
            <td class="num del" safe>{`−${count(file.deletions)}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

function Why({ task, diff }: { task: TaskView; diff: TaskDiffView }): JSX.Element {
  if (!diff.isolated)
    return (
      <p class="muted">
        This task ran directly in its workspace (no git worktree): there is nothing to review or merge here.
      </p>
    )
  if (task.worktree_cleaned_at)
    return <p class="muted">The worktree was cleaned up. Restore it to see the diff again.</p>
  return <p class="muted">No changes against the base commit.</p>
}

/** A runner host's task is reviewed from the snapshot its host pushed: say which attempt's, and how old. */
function SnapshotNote({ task, diff }: { task: TaskView; diff: TaskDiffView }): JSX.Element {
  const { snapshot } = diff
  if (!snapshot) return ''
  const attempt = task.attempts.find((candidate) => candidate.id === snapshot.attempt_id)
  const where = attempt?.runner_host ? ` on runner host ${attempt.runner_host}` : ' on a runner host'
  const age = snapshot.age_seconds === null ? '' : `, ${Math.round(snapshot.age_seconds)} s old`
  return (
    <p class="muted snapshot-note" safe>
      {`From the snapshot of attempt #${attempt?.attempt_number ?? '?'}${where} (commit ${snapshot.commit.slice(0, 12)}${age}).`}
    </p>
  )
}

function LayoutSwitch({ taskId, layout }: { taskId: string; layout: DiffLayout }): JSX.Element {
  const link = (value: DiffLayout, label: string) => (
    <a href={`/tasks/${taskId}/review?layout=${value}`} aria-current={layout === value ? 'true' : undefined}>
      {label as 'safe'}
    </a>
  )
  return (
    <nav class="switch" aria-label="Diff layout">
      {link('side-by-side', 'Side by side')}
      {link('line-by-line', 'Unified')}
    </nav>
  )
}

/** Everything below the page header; action responses replace it as a whole. */
export function ReviewBody({ task, diff, layout, actions, checks, loop }: ReviewProps): JSX.Element {
  const gated = checks.require_checks && checks.latest?.status !== 'passed'
  return (
    <div id="review" data-task-id={task.id} data-task-status={task.status} data-task-title={attr(task.title)}>
      <div class="summary-head">
        <h1 safe>{`Review: ${task.title}`}</h1>
        <StatusBadge status={task.status} state={task.state} />
        <a class="button" href={`/tasks/${task.id}/view`}>
          Back to the task
        </a>
      </div>
      <section class="panel" aria-labelledby="files-h">
        <h2 id="files-h">
          Changed files{' '}
          <small class="muted">
            <span safe>{`${count(diff.files.length)} files,`}</span>{' '}
            <span class="add" safe>{`+${count(diff.additions)}`}</span>{' '}
            <span class="del" safe>{`−${count(diff.deletions)}`}</span>
          </small>
        </h2>
        <SnapshotNote task={task} diff={diff} />
        {diff.has_changes ? <FileTable diff={diff} /> : <Why task={task} diff={diff} />}
      </section>
      <ChecksPanel view={checks} canRerun={actions.checks} />
      {diff.has_changes ? (
        <section class="panel" aria-labelledby="diff-h">
          <div class="panel-head">
            <h2 id="diff-h">Diff</h2>
            <LayoutSwitch taskId={task.id} layout={layout} />
          </div>
          {diff.truncated ? (
            <p class="warn">The patch is too large to show in full; only its beginning is rendered.</p>
          ) : (
            ''
          )}
          <div id="diff" class="diff">
            {renderDiff(diff.patch, layout) as 'safe'}
          </div>
        </section>
      ) : (
        ''
      )}
      {diff.has_changes || loop.comments.length > 0 ? (
        <CommentsSection task={task} diff={diff} comments={loop.comments} />
      ) : (
        ''
      )}
      {loop.base ? <BaseSection taskId={task.id} base={loop.base} /> : ''}
      {loop.base ? <PublishSection task={task} loop={loop} /> : ''}
      <section class="panel" aria-labelledby="merge-h">
        <h2 id="merge-h">Merge and clean up</h2>
        {actions.merged ? <p class="ok">Merged into the workspace.</p> : ''}
        <div class="actions">
          {actions.merge ? <MergeForm taskId={task.id} gated={gated} /> : ''}
          {actions.cleanup ? <CleanupForm taskId={task.id} merged={actions.merged} /> : ''}
          {actions.restore ? (
            <button type="button" hx-post={`/ui/tasks/${task.id}/restore`} hx-target="#flash">
              Restore worktree
            </button>
          ) : (
            ''
          )}
          {actions.merge || actions.cleanup || actions.restore ? (
            ''
          ) : (
            <p class="muted">Nothing to do in this state.</p>
          )}
        </div>
      </section>
    </div>
  )
}

/** The review in the middle pane of the frame, the task's inspector beside it. */
export function reviewPage({ approvals, roster, ...props }: ReviewPageProps): string {
  return (
    <Layout
      title={`Review: ${props.task.title}`}
      scripts={['/assets/diff2html-ui-slim.min.js', '/assets/review.js']}
      roster={roster}
      inspector={<TaskDetails task={props.task} approvals={approvals} />}
      selected
    >
      <section id="task-pane" class="task-pane" data-task-id={props.task.id} aria-label="Review">
        <BackToRoster />
        <ReviewBody {...props} />
      </section>
    </Layout>
  ) as string
}
