import type { EventBus, StatusChange } from '../events/event-bus'
import type { TimelineSource } from '../events/live-stream'
import { statusStream, taskEventStream } from '../events/task-stream'
import type { Store } from '../storage/store'
import type { TaskService } from './task-service'

export type { StatusChange }

export interface TimelineServiceDeps {
  store: Store
  bus: EventBus
  tasks: TaskService
}

/**
 * What the live views read: one task's timeline (its stored events, then each committed batch)
 * and every task's status changes. The JSON streams are made here; the pages render their own
 * HTML frames from `source` and `onStatus`.
 */
export class TimelineService {
  constructor(private readonly deps: TimelineServiceDeps) {}

  /** One task's timeline for a stream; reading a page of a deleted task throws, which ends the stream. */
  source(taskId: string): TimelineSource {
    const { tasks, bus } = this.deps
    return {
      page: (after, limit) => tasks.events(taskId, after, limit),
      onEvents: (listener) => bus.onTaskEvents(taskId, listener),
      onStatus: (listener) =>
        bus.onStatus((change) => {
          if (change.task_id === taskId) listener(change)
        }),
    }
  }

  /** The API's server-sent events of one task: every event after `after`, then live ones. */
  taskStream(taskId: string, after: number): ReadableStream {
    return taskEventStream(this.deps.store, this.deps.bus, taskId, { after })
  }

  /** The API's server-sent status changes of every task. */
  statusStream(): ReadableStream {
    return statusStream(this.deps.bus)
  }

  /** Every task's status changes as they are committed; returns the unsubscribe. */
  onStatus(listener: (change: StatusChange) => void): () => void {
    return this.deps.bus.onStatus(listener)
  }
}
