import type { Config } from '../config'
import type { EventLog } from '../events/event-log'
import type { TaskLifecycle } from '../lifecycle'
import type { Store } from '../storage/store'
import type { Redaction } from '../workers/redaction'

/** What the runner hosts' services stand on. */
export interface HostDeps {
  store: Store
  eventLog: EventLog
  lifecycle: TaskLifecycle
  config: Pick<Config, 'runnerLeaseMs' | 'runPlacement'>
  redaction: Redaction
  /** Aborts at shutdown (what a run record waits on). */
  shutdownSignal: AbortSignal
}
