import type { Runtime } from '../runtime'

/**
 * What routes may reach of the runtime: its services. The store, the event bus, the event log and
 * the lifecycle are left out, so a route cannot bypass the services that own them (the layering
 * rules in .dependency-cruiser.cjs say the same of imports); app.ts hands the configuration to
 * the few routes that need it.
 */
export type Services = Pick<
  Runtime,
  | 'tasks'
  | 'review'
  | 'groups'
  | 'checks'
  | 'comments'
  | 'timeline'
  | 'runners'
  | 'workspaces'
  | 'sessions'
  | 'baseUpdates'
  | 'publishing'
  | 'runnerHosts'
  | 'gitRemote'
>
