import type { ReviewComment, TaskDiffView, TaskView } from '../domain'
import type { ForgeInfo } from '../integrations/forges'
import type { BaseView } from '../tasks/base-update-service'
import { attr, dateTime } from './format'
import { post } from './task-actions'

/** What the review shows beyond the diff: comments, the base, publishing. */
export interface ReviewLoop {
  comments: ReviewComment[]
  /** Null where the task has no worktree to compare. */
  base: BaseView | null
  integrations: ForgeInfo[]
  /** The last push of the task branch. */
  pushed: { remote: string; branch: string } | null
  /** The branch a push goes to by default. */
  branch: string
}

const isOpen = (comment: ReviewComment) => !comment.resolved_at && !comment.outdated_at

function CommentItem({ taskId, comment }: { taskId: string; comment: ReviewComment }): JSX.Element {
  const where =
    comment.side === null
      ? comment.path
      : `${comment.path}:${comment.line} (${comment.side === 'new' ? 'new' : 'old'})`
  const state = comment.resolved_at
    ? 'resolved'
    : comment.outdated_at
      ? 'outdated'
      : comment.sent_at
        ? 'sent'
        : 'open'
  return (
    <li class={`comment comment-${state}`} data-comment-id={comment.id} data-comment-state={state}>
      <div class="comment-head">
        <code safe>{where}</code>{' '}
        <span class="tag" safe>
          {state}
        </span>{' '}
        <span class="muted" safe>{`${comment.author}, ${dateTime(comment.created_at)}`}</span>
      </div>
      {comment.context.length > 0 ? (
        <pre class="comment-context">
          {comment.context.map((line) => (
            <span class={line.line === comment.line ? 'commented' : undefined} safe>
              {`${String(line.line).padStart(5)} │ ${line.text}\n`}
            </span>
          ))}
        </pre>
      ) : (
        ''
      )}
      <p class="comment-body" safe>
        {comment.body}
      </p>
      <form class="action-form" {...post(taskId, comment.resolved_at ? 'reopen-comment' : 'resolve-comment')}>
        <input type="hidden" name="comment" value={comment.id} />
        <button type="submit" data-busy-label="Saving…">
          {comment.resolved_at ? 'Reopen' : 'Resolve'}
        </button>
      </form>
    </li>
  )
}

/** Comments on lines (picked by clicking a line number in the diff, see review.js) or on files. */
export function CommentsSection({
  task,
  diff,
  comments,
}: {
  task: TaskView
  diff: TaskDiffView
  comments: ReviewComment[]
}): JSX.Element {
  const open = comments.filter((comment) => isOpen(comment) && !comment.sent_at).length
  return (
    <section class="panel" aria-labelledby="comments-h" id="comments">
      <div class="panel-head">
        <h2 id="comments-h">
          Comments <small class="muted" safe>{`${comments.filter(isOpen).length} open`}</small>
        </h2>
        {open > 0 ? (
          <form class="action-form" {...post(task.id, 'send-comments')}>
            <button type="submit" class="primary" data-busy-label="Sending…">
              {`Send ${open} to the agent` as 'safe'}
            </button>
          </form>
        ) : (
          ''
        )}
      </div>
      {comments.length > 0 ? (
        <ul class="comments">
          {comments.map((comment) => (
            <CommentItem taskId={task.id} comment={comment} />
          ))}
        </ul>
      ) : (
        <p class="muted">No comments yet. Click a line number in the diff to comment on that line.</p>
      )}
      {diff.has_changes ? (
        <form class="action-form comment-form" id="comment-form" {...post(task.id, 'comment')}>
          <label>
            File{' '}
            <select name="path" id="comment-path">
              {diff.files.map((file) => (
                <option value={attr(file.path)} safe>
                  {file.path}
                </option>
              ))}
            </select>
          </label>
          <label>
            Side{' '}
            <select name="side" id="comment-side">
              <option value="new">new</option>
              <option value="old">old</option>
              <option value="">whole file</option>
            </select>
          </label>
          <label>
            Line <input type="number" name="line" id="comment-line" min="1" inputmode="numeric" />
          </label>
          <label class="wide">
            Comment <textarea name="body" id="comment-body" rows="2" required />
          </label>
          <button type="submit" data-busy-label="Adding…">
            Add comment
          </button>
        </form>
      ) : (
        ''
      )}
    </section>
  )
}

/** How far the target has moved, the update, and a conflict waiting to be resolved or aborted. */
export function BaseSection({ taskId, base }: { taskId: string; base: BaseView }): JSX.Element {
  const target = base.target_ref ?? base.target_commit?.slice(0, 12) ?? 'the target'
  const update = base.update
  return (
    <section class="panel" aria-labelledby="base-h" id="base" data-behind={String(base.behind)}>
      <h2 id="base-h">Keeping up with the base</h2>
      {update ? (
        <div>
          <p class="warn" safe>
            {update.unresolved.length > 0
              ? `The ${update.mode} from ${target} conflicts in ${update.unresolved.join(', ')}: the worktree holds the conflict markers.`
              : `The ${update.mode} from ${target} waits for the run to finish.`}
          </p>
          <div class="actions">
            <form class="action-form" {...post(taskId, 'resolve-update')}>
              <label>
                Note for the agent <input type="text" name="note" />
              </label>
              <button type="submit" class="primary" data-busy-label="Asking…">
                Resolve with the agent
              </button>
            </form>
            <form
              class="action-form"
              {...post(taskId, 'abort-update')}
              hx-confirm="Abort the update and put the worktree back as it was?"
            >
              <button type="submit" data-busy-label="Aborting…">
                Abort the update
              </button>
            </form>
          </div>
        </div>
      ) : base.behind > 0 ? (
        <div>
          <p
            safe
          >{`${target} has ${base.behind} new commit${base.behind === 1 ? '' : 's'} since this task's base.`}</p>
          <form class="action-form" {...post(taskId, 'update-base')}>
            <label>
              How{' '}
              <select name="mode">
                <option value="rebase">rebase</option>
                <option value="merge">merge</option>
              </select>
            </label>
            <button type="submit" data-busy-label="Updating…">
              Update from base
            </button>
          </form>
        </div>
      ) : (
        <p class="muted" safe>{`Up to date with ${target}.`}</p>
      )}
    </section>
  )
}

/** Push the branch, open a pull request with gh or glab, the request once opened. */
export function PublishSection({ task, loop }: { task: TaskView; loop: ReviewLoop }): JSX.Element {
  const forge = loop.integrations.find((tool) => tool.available)
  return (
    <section class="panel" aria-labelledby="publish-h" id="publish">
      <h2 id="publish-h">Push and pull request</h2>
      {task.pull_request_url ? (
        <p class="ok">
          Pull request:{' '}
          <a href={attr(task.pull_request_url)} rel="noreferrer noopener" target="_blank" safe>
            {task.pull_request_url}
          </a>
        </p>
      ) : (
        ''
      )}
      <div class="actions">
        <form class="action-form" {...post(task.id, 'push')}>
          <label>
            Remote <input type="text" name="remote" value="origin" required />
          </label>
          <label>
            Branch{' '}
            <input type="text" name="branch" value={attr(loop.pushed?.branch ?? loop.branch)} required />
          </label>
          <button type="submit" data-busy-label="Pushing…">
            Push
          </button>
        </form>
        {loop.pushed && forge ? (
          <form class="action-form" {...post(task.id, 'pull-request')}>
            <button type="submit" class="primary" data-busy-label="Opening…">
              {`Open a pull request with ${forge.name}` as 'safe'}
            </button>
          </form>
        ) : (
          ''
        )}
      </div>
      <ul class="integrations">
        {loop.integrations.map((tool) => (
          <li data-integration={tool.name} data-available={String(tool.available)}>
            <span safe>{`${tool.label} (${tool.name}): `}</span>
            <span class={tool.available ? 'ok' : 'muted'} safe>
              {tool.available
                ? `ready${tool.version ? `, ${tool.version}` : ''}`
                : (tool.reason ?? 'unavailable')}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
