import { randomUUID } from 'node:crypto'
import { type CommentSide, now, type ReviewComment, type TaskRecord } from '../domain'
import { conflict, invalid, notFound } from '../errors'
import type { Store } from '../storage/store'
import { locateLine, type PatchFiles, parsePatch, stillShown } from './diff-lines'
import type { ReviewService } from './review-service'
import type { TaskService } from './task-service'

export interface NewComment {
  path: string
  side?: CommentSide | null
  line?: number | null
  body: string
  author?: string
}

export interface CommentServiceDeps {
  store: Store
  tasks: TaskService
  review: ReviewService
}

const DIFF_BYTES = 20_000_000

/**
 * Comments on lines of a task's diff. What the diff showed at the line is taken from the server's
 * own diff when the comment is made (never from the client), so a later attempt's diff can be
 * compared with it: a comment whose line and context the newest diff no longer shows is outdated.
 * "Send to agent" makes one follow-up of the open ones, through the task's reply path.
 */
export class CommentService {
  constructor(private readonly deps: CommentServiceDeps) {}

  /** The task's comments, oldest first, each checked against the newest attempt's diff once. */
  async list(taskId: string): Promise<ReviewComment[]> {
    const task = this.deps.tasks.get(taskId)
    await this.markOutdated(task)
    return this.deps.store.comments.list(taskId)
  }

  async create(taskId: string, input: NewComment): Promise<ReviewComment> {
    const task = this.deps.tasks.get(taskId)
    const body = input.body.trim()
    if (body === '') throw invalid('body must not be blank')
    const side = input.side ?? null
    const line = input.line ?? null
    if ((side === null) !== (line === null))
      throw invalid('side and line go together: both for a line comment, neither for a file comment')
    const diff = await this.deps.review.diff(task, DIFF_BYTES)
    if (!diff.files.some((file) => file.path === input.path || file.old_path === input.path))
      throw invalid(`${input.path} is not among the files the task changed`, { path: input.path })
    let located: { text: string; context: ReviewComment['context'] } | null = null
    if (side !== null && line !== null) {
      located = locateLine(parsePatch(diff.patch), input.path, side, line)
      if (!located)
        throw invalid(`the diff of ${input.path} shows no line ${line} on the ${side} side`, {
          path: input.path,
          side,
          line,
        })
    }
    const comment: ReviewComment = {
      id: randomUUID(),
      task_id: task.id,
      author: input.author?.trim() || 'local user',
      path: input.path,
      side,
      line,
      body,
      line_text: located?.text ?? null,
      context: located?.context ?? [],
      attempt_id: this.deps.store.attempts.latest(task.id)?.id ?? null,
      sent_at: null,
      outdated_at: null,
      resolved_at: null,
      resolved_by: null,
      created_at: now(),
    }
    this.deps.store.comments.insert(comment)
    return comment
  }

  resolve(taskId: string, commentId: string, resolved: boolean, by = 'local user'): ReviewComment {
    this.deps.tasks.get(taskId)
    const comment = this.deps.store.comments.get(taskId, commentId)
    if (!comment) throw notFound('comment', commentId)
    this.deps.store.comments.patch(
      commentId,
      resolved ? { resolved_at: now(), resolved_by: by } : { resolved_at: null, resolved_by: null },
    )
    return this.deps.store.comments.get(taskId, commentId) as ReviewComment
  }

  /** The open comments (not resolved, not outdated, not sent before) as one follow-up to the agent. */
  async send(
    taskId: string,
    note?: string,
  ): Promise<{ task: TaskRecord; sent: ReviewComment[]; message: string }> {
    const open = (await this.list(taskId)).filter(
      (comment) => !comment.resolved_at && !comment.outdated_at && !comment.sent_at,
    )
    if (open.length === 0) throw conflict('no_open_comments', `task ${taskId} has no open comments to send`)
    const message = followUpText(open, note)
    const task = await this.deps.tasks.reply(taskId, message)
    const at = now()
    this.deps.store.transaction(() => {
      for (const comment of open) this.deps.store.comments.patch(comment.id, { sent_at: at })
    })
    return { task, sent: open.map((comment) => ({ ...comment, sent_at: at })), message }
  }

  /**
   * Comments made on an earlier attempt's diff are looked for in the newest one: where their line
   * and its context are gone, the attempt changed that hunk and they are outdated. A diff that
   * cannot be read now (the worktree cleaned up) leaves them as they are.
   */
  private async markOutdated(task: TaskRecord): Promise<void> {
    const latest = this.deps.store.attempts.latest(task.id)
    if (!latest || latest.finished_at === null) return
    const stale = this.deps.store.comments
      .list(task.id)
      .filter((comment) => comment.attempt_id !== latest.id && !comment.outdated_at && !comment.resolved_at)
    if (stale.length === 0) return
    const diff = await this.deps.review.diff(task, DIFF_BYTES).catch(() => null)
    if (!diff || (diff.files.length === 0 && task.worktree_cleaned_at)) return
    const files = parsePatch(diff.patch)
    const at = now()
    this.deps.store.transaction(() => {
      for (const comment of stale) {
        this.deps.store.comments.patch(
          comment.id,
          shownIn(files, diff.files, comment) ? { attempt_id: latest.id } : { outdated_at: at },
        )
      }
    })
  }
}

function shownIn(files: PatchFiles, changed: { path: string }[], comment: ReviewComment): boolean {
  if (comment.side === null || comment.line === null)
    return changed.some((file) => file.path === comment.path)
  return stillShown(files, comment.path, comment.side, comment.line, comment.context)
}

/** The follow-up text: each comment with the lines it is about, the commented one marked. */
export function followUpText(comments: ReviewComment[], note?: string): string {
  const parts = comments.map((comment, i) => {
    const where =
      comment.side === null
        ? `${comment.path} (the whole file)`
        : `${comment.path}, line ${comment.line} (${comment.side === 'new' ? 'your version' : 'before your change'})`
    const quoted = comment.context.map(
      (line) => `${line.line === comment.line ? '>>' : '  '} ${String(line.line).padStart(5)} | ${line.text}`,
    )
    return [`${i + 1}. ${where}`, ...quoted, `   ${comment.author}: ${comment.body}`].join('\n')
  })
  const lead = `Review comments on your changes (${comments.length}). Address each one; the commented line is marked >>.`
  return [lead, ...parts, ...(note?.trim() ? [note.trim()] : [])].join('\n\n')
}
