import type { Database } from 'bun:sqlite'
import { ApprovalTable } from './approvals'
import { AttemptTable } from './attempts'
import { BaseUpdateTable } from './base-updates'
import { CheckTable } from './checks'
import { CommentTable } from './comments'
import { openDatabase } from './database'
import { EventTable } from './events'
import { IntentTable } from './intents'
import { migrate } from './migrate'
import { OutboxTable } from './outbox'
import { PublishingTable } from './publishing'
import { RunnerHostTable } from './runner-hosts'
import { TaskGroupTable } from './task-groups'
import { TaskTable } from './tasks'
import { WorkspaceTable } from './workspaces'

/** The only owner of SQL: one connection, its tables, and transactions over them. */
export class Store {
  readonly tasks: TaskTable
  readonly attempts: AttemptTable
  readonly events: EventTable
  readonly workspaces: WorkspaceTable
  readonly approvals: ApprovalTable
  readonly intents: IntentTable
  readonly outbox: OutboxTable
  readonly runnerHosts: RunnerHostTable
  readonly groups: TaskGroupTable
  readonly checks: CheckTable
  readonly comments: CommentTable
  readonly baseUpdates: BaseUpdateTable
  readonly publishing: PublishingTable

  constructor(readonly db: Database) {
    this.approvals = new ApprovalTable(db)
    this.intents = new IntentTable(db)
    this.outbox = new OutboxTable(db)
    this.runnerHosts = new RunnerHostTable(db)
    this.groups = new TaskGroupTable(db)
    this.comments = new CommentTable(db)
    this.baseUpdates = new BaseUpdateTable(db)
    this.publishing = new PublishingTable(db)
    this.tasks = new TaskTable(db)
    this.attempts = new AttemptTable(db)
    this.events = new EventTable(db)
    this.workspaces = new WorkspaceTable(db)
    this.checks = new CheckTable(db)
  }

  static open(path: string): Store {
    const db = openDatabase(path)
    migrate(db)
    return new Store(db)
  }

  /**
   * A second connection to a store `open` made, for reading only: SQLite refuses every write on it
   * (query_only), and WAL lets it read the last commit while the other connections write.
   */
  static openForReading(path: string): Store {
    const db = openDatabase(path)
    db.exec('PRAGMA query_only = ON')
    return new Store(db)
  }

  /**
   * Runs `work` in one SQLite transaction (nested calls become savepoints). It takes the write lock
   * at its start: the event writer's thread writes on a connection of its own, and a transaction
   * that read first would otherwise be refused when that thread committed in between.
   */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate()
  }

  /**
   * Runs `work`, which only reads, as one read transaction: everything it reads is the same commit
   * (a page's tasks and their events, though a writer commits meanwhile), and SQLite locks the
   * file once for all its statements, where each statement alone locked and unlocked it (two
   * system calls each; a page of 50 tasks runs over a hundred statements).
   */
  snapshot<T>(work: () => T): T {
    return this.db.transaction(work).deferred()
  }

  close(): void {
    this.db.close()
  }
}
