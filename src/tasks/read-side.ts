import type { Config } from '../config'
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

/** The read side's settings from the runtime's configuration. */
export const readSideSettings = (config: Config): ReadSideSettings => ({
  dbPath: config.dbPath,
  home: config.home,
  dataDir: config.dataDir,
  discoveryRoots: config.discoveryRoots,
})

/**
 * The services that only read, over a connection of their own that only reads. It lives as long
 * as the thread that opened it: a connection that never writes leaves nothing half-done when the
 * thread is terminated.
 */
export interface ReadSide {
  tasks: TaskReads
  workspaces: WorkspaceRegistry
}

/** Opens the read side of a store the runtime opened (and migrated) already. */
export function openReadSide(settings: ReadSideSettings): ReadSide {
  const store = Store.openForReading(settings.dbPath)
  return {
    tasks: new TaskReads(store, new TaskStates(store)),
    workspaces: new WorkspaceRegistry(store, settings, settings.discoveryRoots),
  }
}
