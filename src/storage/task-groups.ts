import type { Database, Statement } from 'bun:sqlite'
import type { GroupVariant, TaskGroupRecord } from '../domain'
import { Columns, json, type Row, text } from './columns'

const GROUP_COLUMNS = new Columns<TaskGroupRecord>({
  id: text(),
  title: text(),
  goal: text(),
  command: text(),
  workspace: text(),
  variants: json<GroupVariant[]>(),
  pick_state: text(),
  picked_task_id: text(),
  pick_strategy: text(),
  pick_note: text(),
  picked_at: text(),
  created_at: text(),
  updated_at: text(),
})

const toRecord = (row: Row): TaskGroupRecord => {
  const group = GROUP_COLUMNS.toRecord(row)
  return { ...group, variants: Array.isArray(group.variants) ? group.variants : [] }
}

/** Groups of variants (migrations/010_task_groups.sql); each variant's task is a row of `tasks`. */
export class TaskGroupTable {
  private readonly byId: Statement<Row, [string]>
  private readonly insertRow: Statement

  constructor(private readonly db: Database) {
    this.byId = db.query(`SELECT ${GROUP_COLUMNS.select} FROM task_groups WHERE id = ?`)
    this.insertRow = db.prepare(
      `INSERT INTO task_groups (${GROUP_COLUMNS.insertNames}) VALUES (${GROUP_COLUMNS.placeholders})`,
    )
  }

  insert(group: TaskGroupRecord): void {
    this.insertRow.run(...GROUP_COLUMNS.values(group))
  }

  get(id: string): TaskGroupRecord | null {
    const row = this.byId.get(id)
    return row ? toRecord(row) : null
  }

  /** Newest first. */
  list(limit: number, offset: number): TaskGroupRecord[] {
    return this.db
      .query<Row, [number, number]>(
        `SELECT ${GROUP_COLUMNS.select} FROM task_groups ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`,
      )
      .all(limit, offset)
      .map(toRecord)
  }

  /** Records the trees of the variants' results the server captured (by task id). */
  setResultTrees(id: string, trees: Map<string, string>, at: string): void {
    // The write lock first: it writes what it read (see Store.transaction).
    this.db
      .transaction(() => {
        const group = this.get(id)
        if (!group) return
        const variants = group.variants.map((variant) => ({
          ...variant,
          result_tree: trees.get(variant.task_id) ?? variant.result_tree,
        }))
        this.db
          .prepare('UPDATE task_groups SET variants_json = ?, updated_at = ? WHERE id = ?')
          .run(JSON.stringify(variants), at, id)
      })
      .immediate()
  }

  /** Takes the pick for `taskId` if no pick began before: the one write two picks race for. */
  beginPick(id: string, taskId: string, strategy: string, note: string | null, at: string): boolean {
    return (
      this.db
        .prepare(
          "UPDATE task_groups SET pick_state = 'picking', picked_task_id = ?, pick_strategy = ?, pick_note = ?, updated_at = ? WHERE id = ? AND pick_state IS NULL",
        )
        .run(taskId, strategy, note, at, id).changes === 1
    )
  }

  /** The winner merged: the choice stands. */
  completePick(id: string, at: string): void {
    this.db
      .prepare(
        "UPDATE task_groups SET pick_state = 'picked', picked_at = ?, updated_at = ? WHERE id = ? AND pick_state = 'picking'",
      )
      .run(at, at, id)
  }

  /** The merge was refused or failed with the target untouched: the group may be picked again. */
  abandonPick(id: string, at: string): void {
    this.db
      .prepare(
        "UPDATE task_groups SET pick_state = NULL, picked_task_id = NULL, pick_strategy = NULL, pick_note = NULL, updated_at = ? WHERE id = ? AND pick_state = 'picking'",
      )
      .run(at, id)
  }
}
