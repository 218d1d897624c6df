import type { Database } from 'bun:sqlite'
import type { CheckSpec } from '../domain'
import { parseStoredJson } from './json'

export interface WorkspaceRecord {
  path: string
  name: string
  /** Git-ignored files (glob patterns) copied into each new worktree of this workspace. */
  copy_globs: string[]
  /** Checks every task of this workspace runs after an attempt with changes. */
  checks: CheckSpec[]
  created_at: string
  updated_at: string
}

interface WorkspaceRow {
  path: string
  name: string
  copy_globs_json: string
  checks_json: string
  created_at: string
  updated_at: string
}

const toRecord = ({ copy_globs_json, checks_json, ...row }: WorkspaceRow): WorkspaceRecord => ({
  ...row,
  copy_globs: parseStoredJson<string[]>(copy_globs_json, []),
  checks: parseStoredJson<CheckSpec[]>(checks_json, []),
})

export class WorkspaceTable {
  constructor(private readonly db: Database) {}

  upsert(path: string, name: string, at: string): void {
    this.db
      .prepare(
        'INSERT INTO workspaces (path, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET updated_at = excluded.updated_at',
      )
      .run(path, name, at, at)
  }

  setCopyGlobs(path: string, globs: string[]): void {
    this.db
      .prepare('UPDATE workspaces SET copy_globs_json = ? WHERE path = ?')
      .run(JSON.stringify(globs), path)
  }

  setChecks(path: string, checks: CheckSpec[]): void {
    this.db.prepare('UPDATE workspaces SET checks_json = ? WHERE path = ?').run(JSON.stringify(checks), path)
  }

  get(path: string): WorkspaceRecord | null {
    const row = this.db
      .query<WorkspaceRow, [string]>(
        'SELECT path, name, copy_globs_json, checks_json, created_at, updated_at FROM workspaces WHERE path = ?',
      )
      .get(path)
    return row ? toRecord(row) : null
  }

  list(): WorkspaceRecord[] {
    return this.db
      .query<WorkspaceRow, []>(
        'SELECT path, name, copy_globs_json, checks_json, created_at, updated_at FROM workspaces ORDER BY updated_at DESC',
      )
      .all()
      .map(toRecord)
  }
}
