import { conflict } from '../errors'

/**
 * At most one operation that awaits before it commits (start, follow-up, approval, merge, cleanup,
 * restore, delete) per task at a time. Those span awaits on git or the preflight, so the machine's
 * synchronous check alone cannot stop two of them interleaving; the second one gets a 409 instead.
 */
export class TaskOperations {
  private readonly running = new Map<string, string>()

  busy(taskId: string): boolean {
    return this.running.has(taskId)
  }

  /** Refuses when a review operation on the task is in progress (its worktree may be changing). */
  assertIdle(taskId: string): void {
    const current = this.running.get(taskId)
    if (current)
      throw conflict(
        'operation_in_progress',
        `task ${taskId} is busy with ${current}; try again when it is done`,
      )
  }

  async exclusive<T>(taskId: string, operation: string, work: () => Promise<T>): Promise<T> {
    this.assertIdle(taskId)
    this.running.set(taskId, operation)
    try {
      return await work()
    } finally {
      this.running.delete(taskId)
    }
  }
}
