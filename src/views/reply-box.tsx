import type { TaskView } from '../domain'
import type { AllowedActions } from './actions'

const REPLY_LABELS = {
  prompt: 'The process is waiting for your answer',
  stdin: 'Send a line to the process',
  agent: 'Reply to the agent',
  'follow-up': 'Follow up: the agent continues its session in a new run',
}

type ReplyKind = keyof typeof REPLY_LABELS

/** A reply: a line on a shell's stdin, the agent's next turn, or a follow-up run once the last one ended. */
export function ReplyForm({ taskId, kind }: { taskId: string; kind: ReplyKind }): JSX.Element {
  return (
    <form
      class={kind === 'prompt' ? 'reply reply-waiting' : 'reply'}
      hx-post={`/ui/tasks/${taskId}/reply`}
      hx-target="#flash"
      data-reset-on-success
    >
      <label for="reply-message" safe>
        {REPLY_LABELS[kind]}
      </label>
      <div class="row">
        <input
          id="reply-message"
          name="message"
          autocomplete="off"
          required
          data-shortcut="r"
          data-shortcut-label="Reply"
        />
        <button type="submit" class={kind === 'prompt' ? 'primary' : ''}>
          Send
        </button>
      </div>
    </form>
  )
}

const LIVE_STATES = new Set(['running.agent', 'needs-input.prompt', 'needs-input.approval'])

function replyKind(task: Pick<TaskView, 'runner' | 'state'>): ReplyKind {
  if (task.runner === 'shell') return task.state === 'needs-input.prompt' ? 'prompt' : 'stdin'
  return LIVE_STATES.has(task.state) ? 'agent' : 'follow-up'
}

/**
 * The bottom of the conversation. Always in the page (empty when the task takes no reply), so the
 * stream can morph it as the state changes without losing a half-typed reply.
 */
export function ReplyBox({
  task,
  actions,
}: {
  task: Pick<TaskView, 'id' | 'runner' | 'state'>
  actions: Pick<AllowedActions, 'reply'>
}): JSX.Element {
  return (
    <div id="reply-box" class="reply-box" data-reply-kind={actions.reply ? replyKind(task) : 'none'}>
      {actions.reply ? <ReplyForm taskId={task.id} kind={replyKind(task)} /> : ''}
    </div>
  )
}
