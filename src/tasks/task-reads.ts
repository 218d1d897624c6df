import type { RosterTask, TaskRecord, TaskView, ToolApproval } from '../domain'
import { notFound } from '../errors'
import type { TaskStates } from '../lifecycle'
import type { TaskMachineEvent } from '../machines/task-machine'
import type { Store } from '../storage/store'
import type { TaskListQuery } from '../storage/tasks'
import { type EventsEmbed, rosterTasks, taskViewJson, taskViews, taskViewsJson } from './views'

/**
 * What the task API reads: a task, its view, a page of them, the events its state accepts and the
 * approvals it asked for. It writes nothing, so the pages' thread answers it too, over a
 * connection of its own that only reads (routes/reads/), as the task service does on the loop.
 * Each read that takes several statements (a view, a page, the roster) is one snapshot of the store.
 */
export class TaskReads {
  constructor(
    protected readonly store: Store,
    protected readonly states: TaskStates,
  ) {}

  get(id: string): TaskRecord {
    const task = this.store.tasks.get(id)
    if (!task) throw notFound('task', id)
    return task
  }

  view(id: string, embed: EventsEmbed): TaskView {
    return this.store.snapshot(() => taskViews(this.store, this.states, [this.get(id)], embed)[0] as TaskView)
  }

  /** `view` as the JSON the API sends. */
  viewJson(id: string, embed: EventsEmbed): Blob {
    return this.store.snapshot(() => taskViewJson(this.store, this.states, this.get(id), embed))
  }

  list(query: TaskListQuery, embed: EventsEmbed): TaskView[] {
    return this.store.snapshot(() => taskViews(this.store, this.states, this.store.tasks.list(query), embed))
  }

  /**
   * A page of `query.limit` views as the JSON array the API sends, and, when more tasks follow,
   * where the next page starts (the page's last task).
   */
  pageJson(query: TaskListQuery, embed: EventsEmbed): { json: Blob; next: TaskListQuery['after'] } {
    return this.store.snapshot(() => this.pageJsonOf(query, embed))
  }

  private pageJsonOf(query: TaskListQuery, embed: EventsEmbed): { json: Blob; next: TaskListQuery['after'] } {
    const found = this.store.tasks.list({ ...query, limit: query.limit + 1 })
    const shown = found.slice(0, query.limit)
    const last = shown.at(-1)
    return {
      json: taskViewsJson(this.store, this.states, shown, embed),
      next: found.length > shown.length && last ? { updated_at: last.updated_at, id: last.id } : undefined,
    }
  }

  /** The same page as `list`, as roster entries (what the pages show beside themselves). */
  roster(query: TaskListQuery): RosterTask[] {
    return this.store.snapshot(() => rosterTasks(this.store, this.states, query))
  }

  /** Whether the task's lifecycle accepts `event` in its current state (what the pages offer). */
  can(id: string, event: TaskMachineEvent): boolean {
    return this.states.can(id, event)
  }

  /** `can` for several events of one task in its current state (a page's actions). */
  accepting(id: string): (event: TaskMachineEvent) => boolean {
    return this.states.accepting(id)
  }

  /** The tool approvals an agent asked for, oldest first (pending ones survive a reload). */
  approvals(id: string): ToolApproval[] {
    this.get(id)
    return this.store.approvals.list(id)
  }
}
