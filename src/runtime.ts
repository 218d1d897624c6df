import { join } from 'node:path'
import { SessionInventory } from './agents'
import type { Config } from './config'
import { now } from './domain'
import { EventBus } from './events/event-bus'
import { EventLog } from './events/event-log'
import { clearScratch, setScratchRoot } from './git'
import type { GitRemoteAccess } from './git/http-backend'
import {
  ControlChannel,
  LeaseSweeper,
  RemoteAttempts,
  RemoteGitAccess,
  RemoteRuns,
  RunnerHostRegistry,
} from './hosts'
import { TaskLifecycle } from './lifecycle'
import { detectSandbox } from './policy'
import { RunLimits } from './process/limits/run-limits'
import { RunDispatch } from './queue/dispatch'
import { brokerConnection } from './queue/remote-connection'
import { RemoteRunQueue } from './queue/remote-queue'
import { RunQueue } from './queue/run-queue'
import { accessToken } from './storage/access-token'
import { InstanceLock } from './storage/instance-lock'
import { Store } from './storage/store'
import { ThreadedEventWriter } from './storage/threaded-event-writer'
import { isLastingWriteFailure } from './storage/write-failures'
import { BaseUpdateService } from './tasks/base-update-service'
import { ChecksService } from './tasks/checks-service'
import { CommentService } from './tasks/comment-service'
import { GroupService } from './tasks/group-service'
import { IntentSettler } from './tasks/intent-recovery'
import { PublishService } from './tasks/publish-service'
import { type RecoveryReport, recoverAfterRestart } from './tasks/recovery'
import { ReviewService } from './tasks/review-service'
import { TaskOperations } from './tasks/task-operations'
import { TaskService, type TaskServiceDeps } from './tasks/task-service'
import { TimelineService } from './tasks/timeline'
import { RunCoordinator } from './workers/coordinator'
import type { Isolation } from './workers/isolation'
import { LiveRuns } from './workers/live-runs'
import { sweepStaleRunNetworks } from './workers/network/run-network'
import { Preflight } from './workers/preflight'
import { Redaction } from './workers/redaction'
import { RunnerCatalog } from './workers/runner-catalog'
import { WorkspaceRegistry } from './workspaces/registry'

/** Everything the server runs on, wired together once. Routes receive this; nothing below knows HTTP. */
export interface Runtime {
  config: Config
  store: Store
  bus: EventBus
  eventLog: EventLog
  lifecycle: TaskLifecycle
  liveRuns: LiveRuns
  tasks: TaskService
  review: ReviewService
  /** Groups of variants: one goal tried several ways, compared, one picked. */
  groups: GroupService
  /** Checks: their verdicts, a re-run on request, the merge gate. */
  checks: ChecksService
  /** Review comments on a task's diff, and sending them to the agent. */
  comments: CommentService
  /** Keeping a task up with its target (update from base, abort, resolve). */
  baseUpdates: BaseUpdateService
  /** Push and pull request: user actions with the user's own credentials. */
  publishing: PublishService
  /** The live timelines and status changes the streams read. */
  timeline: TimelineService
  runners: RunnerCatalog
  workspaces: WorkspaceRegistry
  sessions: SessionInventory
  /** Runner hosts: the registry and tokens (user API), and the runner protocol's side of them. */
  runnerHosts: RunnerHosts
  /** Who may fetch and push over the git endpoint (/git/): the hosts holding attempts there. */
  gitRemote: GitRemoteAccess
  recovery: RecoveryReport
  close(): Promise<void>
}

export interface RunnerHosts {
  registry: RunnerHostRegistry
  attempts: RemoteAttempts
  control: ControlChannel
}

/** The project's git, workspace and policy modules, as the core uses them (wired in src/compose.ts). */
export interface RuntimeAdapters {
  /** Built once the runtime knows each workspace's settings (which ignored files to copy). */
  isolation: (settings: { copyGlobsFor(workspace: string): string[] }) => Isolation
  resolveWorkspace: TaskServiceDeps['resolveWorkspace']
  normalizePolicy: TaskServiceDeps['normalizePolicy']
}

/** The token every request must carry: OPENRUNTIME_TOKEN, else the data directory's; none when auth is off. */
function withAccessToken(config: Config): Config {
  if (config.auth === 'none') return { ...config, token: undefined }
  return { ...config, token: config.token ?? accessToken(config.dataDir) }
}

export async function startRuntime(settings: Config, adapters: RuntimeAdapters): Promise<Runtime> {
  // The lock comes first: a second server must not even open the queue (its recovery would fail
  // the first server's running jobs).
  const lock = InstanceLock.acquire(settings.lockPath)
  let store: Store | null = null
  let startedLog: EventLog | null = null
  try {
    const config = withAccessToken(settings)
    // Temporary git files live in the data directory, so what a crash left there is ours to remove.
    setScratchRoot(join(config.dataDir, 'tmp'))
    await clearScratch()
    // Agent runs' socket directories left behind by a server that was killed.
    sweepStaleRunNetworks()
    store = Store.open(config.dbPath)
    const bus = new EventBus()
    // Output's batches are written on a thread of their own: requests do not wait behind them.
    const eventLog = new EventLog(store, bus, {
      flushMs: config.eventFlushMs,
      writer: new ThreadedEventWriter(store),
    })
    startedLog = eventLog
    const lifecycle = new TaskLifecycle(store, eventLog, bus)
    const liveRuns = new LiveRuns()
    // Output that cannot be stored must not pile up unseen: every run stops and records why once
    // storage takes writes again (the refused events stay buffered until then).
    eventLog.onWriteFailure((error) => {
      if (isLastingWriteFailure(error)) void liveRuns.stopAll('storage-failure')
    })
    const openStore = store
    const workspaces = new WorkspaceRegistry(openStore, config, config.discoveryRoots)
    const runners = new RunnerCatalog(config)
    const redaction = new Redaction([
      config.serverEnv,
      ...Object.values(config.runnerSettings).map((settings) => settings.env),
      // The token made at first start is no variable of the server's, but it is as secret.
      config.token ? { OPENRUNTIME_TOKEN: config.token } : {},
    ])
    const sandbox = () => detectSandbox({ bwrap: config.bwrapPath })
    const hostDeps = {
      store: openStore,
      eventLog,
      lifecycle,
      config,
      redaction,
      shutdownSignal: liveRuns.shutdownSignal,
    }
    const control = new ControlChannel(openStore)
    const hostRegistry = new RunnerHostRegistry(hostDeps, control)
    const remote = new RemoteRuns(hostDeps, hostRegistry, control)
    // After the lock: the run cgroups of this data directory are this server's alone.
    const limits = await RunLimits.start(config)
    const coordinator = new RunCoordinator({
      config,
      store: openStore,
      eventLog,
      lifecycle,
      liveRuns,
      isolation: adapters.isolation({ copyGlobsFor: (workspace) => workspaces.copyGlobsFor(workspace) }),
      runners,
      redaction,
      sandbox,
      limits,
      runsHere: (task) => !remote.isRemote(task),
      checksFor: (workspace) => workspaces.checksFor(workspace),
      // A fix round's run, queued by the run before it (the dispatch is made just below).
      requeue: (job) => dispatch.dispatch(job),
    })
    // Jobs wait until recovery has reconciled the previous run's state.
    let recovered!: () => void
    const recoveryDone = new Promise<void>((resolve) => (recovered = resolve))
    const queue = new RunQueue({
      dataPath: config.queuePath,
      taskDatabase: config.dbPath,
      concurrency: config.maxParallel,
      processRun: async (job) => {
        await recoveryDone
        await coordinator.processRun(job)
      },
    })
    // Runs placed on runner hosts go to the broker when there is one (else they wait in the
    // embedded queue, which leaves them to a host's claim).
    const broker = brokerConnection(config.serverEnv)
    const remoteQueue = broker ? new RemoteRunQueue(broker) : null
    const dispatch = new RunDispatch(
      openStore,
      queue,
      remoteQueue && {
        queue: remoteQueue,
        placementOf: (job) => remote.placementOf(job.taskId, job.run),
      },
    )
    // A follow-up pinned to a host that is gone continues from its snapshot on any host instead.
    hostRegistry.onHostGone((hostId) => {
      for (const { job, pinned } of remote.pinnedRuns(hostId))
        dispatch
          .replace(job, pinned)
          .catch((error) => console.error(`placing run ${job.run} of task ${job.taskId} again`, error))
    })
    const operations = new TaskOperations()
    const intents = new IntentSettler({ store: openStore, lifecycle, operations })
    const tasks = new TaskService({
      operations,
      store: openStore,
      eventLog,
      lifecycle,
      intents,
      liveRuns,
      dispatch,
      remote,
      resolveWorkspace: adapters.resolveWorkspace,
      normalizePolicy: adapters.normalizePolicy,
      preflight: new Preflight(runners, sandbox),
      redaction,
    })
    const checks = new ChecksService({
      store: openStore,
      lifecycle,
      remote,
      checksFor: (workspace) => workspaces.checksFor(workspace),
      rerun: (task, attemptId) => coordinator.rerunChecks(task, attemptId),
    })
    const baseUpdates = new BaseUpdateService({ store: openStore, eventLog, lifecycle, operations, tasks })
    const recovery = await recoverAfterRestart(openStore, lifecycle, intents, dispatch, config.stopGraceMs)
    recovery.repository.push(...(await baseUpdates.recover()))
    // No agent process survived the previous server, so nothing can receive an answer any more.
    openStore.approvals.expireAll({
      decided_by: 'openRuntime',
      decided_at: now(),
      message: 'the server restarted before an answer',
    })
    // No check outlived the previous server: a round it left running ended with it.
    openStore.checks.settleRunning(now())
    hostRegistry.renewLeases()
    const sweeper = new LeaseSweeper(hostRegistry)
    recovered()

    const review = new ReviewService({
      store: openStore,
      lifecycle,
      operations,
      intents,
      copyGlobsFor: (workspace) => workspaces.copyGlobsFor(workspace),
      discardRemoteWorktrees: (taskId) => remote.discardWorktrees(taskId),
      gate: (task) => checks.gate(task),
    })
    let closed = false
    return {
      config,
      store: openStore,
      bus,
      eventLog,
      lifecycle,
      liveRuns,
      tasks,
      timeline: new TimelineService({ store: openStore, bus, tasks }),
      review,
      groups: new GroupService({ store: openStore, tasks, review }),
      checks,
      comments: new CommentService({ store: openStore, tasks, review }),
      baseUpdates,
      publishing: new PublishService({
        store: openStore,
        eventLog,
        lifecycle,
        operations,
        tasks,
        baseUpdates,
        env: config.serverEnv,
      }),
      runners,
      workspaces,
      sessions: new SessionInventory(),
      runnerHosts: { registry: hostRegistry, attempts: new RemoteAttempts(hostDeps, remote), control },
      gitRemote: new RemoteGitAccess(hostDeps, hostRegistry),
      recovery,
      async close() {
        if (closed) return
        closed = true
        sweeper.close()
        control.disconnectAll()
        await liveRuns.shutdown()
        await queue.close()
        await remoteQueue?.close()
        limits.close()
        closeEventLog(eventLog)
        openStore.close()
        lock.release()
      },
    }
  } catch (error) {
    // What startup recorded is written, and the writer's thread and connection go with the store.
    if (startedLog) closeEventLog(startedLog)
    store?.close()
    lock.release()
    throw error
  }
}

/** Writes what is buffered and stops the writer; storage still refusing writes is said, not thrown. */
function closeEventLog(eventLog: EventLog): void {
  try {
    eventLog.flush()
  } catch (error) {
    console.error(
      `shutting down with ${eventLog.bufferedCount} event(s) the database refused: ${(error as Error).message}`,
    )
  } finally {
    eventLog.close()
  }
}
