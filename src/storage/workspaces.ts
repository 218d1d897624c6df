import type { Database } from 'bun:sqlite'

export interface WorkspaceRecord {
  path: string
  name: string
  created_at: string
  updated_at: string
}

export class WorkspaceTable {
  constructor(private readonly db: Database) {}

  upsert(path: string, name: string, at: string): void {
    this.db
      .prepare(
        'INSERT INTO workspaces (path, name, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET updated_at = excluded.updated_at',
      )
      .run(path, name, at, at)
  }

  list(): WorkspaceRecord[] {
    return this.db
      .query<WorkspaceRecord, []>(
        'SELECT path, name, created_at, updated_at FROM workspaces ORDER BY updated_at DESC',
      )
      .all()
  }
}
