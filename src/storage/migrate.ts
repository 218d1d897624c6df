import type { Database } from 'bun:sqlite'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const MIGRATIONS_DIR = join(import.meta.dir, '..', '..', 'migrations')

export interface Migration {
  version: number
  name: string
  sql: string
}

export class MigrationError extends Error {
  readonly code = 'migration_failed'
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .map((file) => ({
      version: Number.parseInt(file, 10),
      name: file.replace(/\.sql$/, ''),
      sql: readFileSync(join(dir, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version)
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(
        `migrations must be numbered 1, 2, 3…; found ${migration.name} at position ${index + 1}`,
      )
    }
  })
  return migrations
}

export function currentVersion(db: Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  )
  const row = db
    .query<{ version: number | null }, []>('SELECT MAX(version) AS version FROM schema_migrations')
    .get()
  return row?.version ?? 0
}

/**
 * Brings the database up to the newest migration, each one in its own transaction, so a failure
 * leaves the database at the last version that applied completely. Returns the versions applied.
 */
export function migrate(db: Database, migrations: Migration[] = loadMigrations(), upTo?: number): number[] {
  const from = currentVersion(db)
  const newest = migrations.at(-1)?.version ?? 0
  if (from > newest) {
    throw new MigrationError(
      `the database is at schema version ${from}, newer than this openRuntime knows (${newest}); upgrade openRuntime`,
    )
  }
  const applied: number[] = []
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  for (const migration of migrations) {
    if (migration.version <= from || (upTo !== undefined && migration.version > upTo)) continue
    try {
      db.transaction(() => {
        db.exec(migration.sql)
        record.run(migration.version, migration.name, new Date().toISOString())
      })()
    } catch (error) {
      throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`)
    }
    applied.push(migration.version)
  }
  return applied
}
