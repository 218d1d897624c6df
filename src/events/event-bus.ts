import type { TaskEvent, TaskStatus } from '../domain'

export interface StatusChange {
  task_id: string
  status: TaskStatus
  from: TaskStatus
  state: string
  seq: number
  at: string
}

export type EventListener = (events: TaskEvent[]) => void
export type StatusListener = (change: StatusChange) => void

/**
 * In-process fan-out of what has been committed. Listeners are called synchronously after the
 * commit and must not block: SSE subscribers copy into their own bounded buffers.
 */
export class EventBus {
  private readonly byTask = new Map<string, Set<EventListener>>()
  private readonly statusListeners = new Set<StatusListener>()

  onTaskEvents(taskId: string, listener: EventListener): () => void {
    let set = this.byTask.get(taskId)
    if (!set) {
      set = new Set()
      this.byTask.set(taskId, set)
    }
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.byTask.delete(taskId)
    }
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  hasTaskListeners(taskId: string): boolean {
    return this.byTask.has(taskId)
  }

  publishEvents(taskId: string, events: TaskEvent[]): void {
    for (const listener of this.byTask.get(taskId) ?? []) listener(events)
  }

  publishStatus(change: StatusChange): void {
    for (const listener of this.statusListeners) listener(change)
  }
}
