import type { Database, Statement } from 'bun:sqlite'
import type { ReviewComment } from '../models'
import { Columns, json, number, type Row, text } from './columns'

const COMMENT_COLUMNS = new Columns<ReviewComment>({
  id: text(),
  task_id: text(),
  author: text(),
  path: text(),
  side: text(),
  line: number(),
  body: text(),
  line_text: text(),
  context: json(),
  attempt_id: text(),
  sent_at: text(),
  outdated_at: text(),
  resolved_at: text(),
  resolved_by: text(),
  created_at: text(),
})

export type CommentPatch = Partial<
  Pick<ReviewComment, 'attempt_id' | 'sent_at' | 'outdated_at' | 'resolved_at' | 'resolved_by'>
>

/** Review comments on a task's diff (migrations/010_review_comments.sql). */
export class CommentTable {
  private readonly insertRow: Statement
  private readonly forTask: Statement<Row, [string]>
  private readonly byId: Statement<Row, [string, string]>

  constructor(private readonly db: Database) {
    this.insertRow = db.prepare(
      `INSERT INTO review_comments (${COMMENT_COLUMNS.insertNames}) VALUES (${COMMENT_COLUMNS.placeholders})`,
    )
    this.forTask = db.query(
      `SELECT ${COMMENT_COLUMNS.select} FROM review_comments WHERE task_id = ? ORDER BY created_at, rowid`,
    )
    this.byId = db.query(`SELECT ${COMMENT_COLUMNS.select} FROM review_comments WHERE task_id = ? AND id = ?`)
  }

  insert(comment: ReviewComment): void {
    this.insertRow.run(...COMMENT_COLUMNS.values(comment))
  }

  list(taskId: string): ReviewComment[] {
    return this.forTask.all(taskId).map(COMMENT_COLUMNS.toRecord)
  }

  get(taskId: string, id: string): ReviewComment | null {
    const row = this.byId.get(taskId, id)
    return row ? COMMENT_COLUMNS.toRecord(row) : null
  }

  patch(id: string, patch: CommentPatch): void {
    const { sql, values } = COMMENT_COLUMNS.assignments(patch)
    if (sql !== '') this.db.prepare(`UPDATE review_comments SET ${sql} WHERE id = ?`).run(...values, id)
  }
}
