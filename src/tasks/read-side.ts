import { TaskStates } from '../lifecycle'
import { Store } from '../storage/store'
import type { HostPaths } from '../workspaces/exposure'
import { WorkspaceRegistry } from '../workspaces/registry'
import { TaskReads } from './task-reads'

/** Where the read side finds the store and what it must not offer as a workspace. */
export interface ReadSideSettings extends HostPaths {
  dbPath: string
  discoveryRoots: string[] | undefined
}

/** The services that only read, over a connection of their own that only reads. */
export interface ReadSide {
  tasks: TaskReads
  workspaces: WorkspaceRegistry
  close(): void
}

/** Opens the read side of a store the runtime opened (and migrated) already. */
export function openReadSide(settings: ReadSideSettings): ReadSide {
  const store = Store.openForReading(settings.dbPath)
  return {
    tasks: new TaskReads(store, new TaskStates(store)),
    workspaces: new WorkspaceRegistry(store, settings, settings.discoveryRoots),
    close: () => store.close(),
  }
}
