import type { TaskReads } from '../../tasks/task-reads'
import type { WorkspaceListing } from '../../workspaces/registry'

/**
 * What the read routes' answers need of the services: reads only. The runtime's services are one
 * (the task service reads as TaskReads does); the pages' thread builds its own over a connection
 * that only reads (tasks/read-side.ts).
 */
export interface ReadServices {
  tasks: TaskReads
  workspaces: { list(): Promise<WorkspaceListing[]> }
}
