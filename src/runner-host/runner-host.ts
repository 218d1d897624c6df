import { join } from 'node:path'
import { loadConfig } from '../config'
import type { ControlCommand, RegisterBody, RunnerKind } from '../domain'
import { detectSandbox } from '../policy'
import { RunLimits } from '../process/limits/run-limits'
import { hostPin } from '../queue/remote-placement'
import type { RemoteRunJob } from '../queue/remote-queue'
import { RemoteRunWorker } from '../queue/remote-queue'
import { Redaction } from '../workers/redaction'
import { RunnerCatalog } from '../workers/runner-catalog'
import type { ClaimedRun } from './claimed-run'
import { ControlPlane, Unreachable } from './control-plane'
import { ControlStream } from './control-stream'
import { RunnerDirLock } from './dir-lock'
import { discardWorktree, HostRun, type HostRunDeps, privateDir } from './host-run'
import { endLeftovers } from './leftovers'
import type { RunnerHostSettings } from './settings'
import { AttemptSpool } from './spool'
import { SpoolSender } from './spool-sender'

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/

const log = (message: string) => console.log(`[runner-host] ${message}`)

const spoolDirOf = (dir: string) => join(privateDir(dir), 'spool')

/** Four heartbeats per lease. */
const beatEvery = (leaseMs: number) => Math.max(20, Math.floor(leaseMs / 4))

/**
 * A runner host: registers what it can run, heartbeats within its lease, takes runs from the
 * broker up to its slots, claims each (another host may have won it), runs it (host-run.ts) and
 * delivers its events and outcome through the spool; applies the control plane's stop, reply and
 * approval commands to its runs.
 */
export class RunnerHost {
  private readonly runs = new Map<string, HostRun>()
  private heartbeat: ReturnType<typeof setTimeout> | null = null
  private worker: RemoteRunWorker | null = null
  private stream: ControlStream | null = null
  private sender: SpoolSender | null = null
  private closed = false

  private constructor(
    private readonly settings: RunnerHostSettings,
    private readonly control: ControlPlane,
    private readonly lock: RunnerDirLock,
    private readonly deps: HostRunDeps,
  ) {}

  static async start(settings: RunnerHostSettings, env = process.env): Promise<RunnerHost> {
    const lock = RunnerDirLock.acquire(settings.dir)
    // The host's settings for runners (OPENRUNTIME_<RUNNER>_BIN…), its limits, its directory as the data directory.
    const config = loadConfig({
      ...env,
      OPENRUNTIME_DB: join(privateDir(settings.dir), 'runner-host.sqlite3'),
    })
    const leftovers = await endLeftovers(spoolDirOf(settings.dir), config.stopGraceMs, log)
    const control = new ControlPlane(settings.controlUrl, settings.token)
    const host = new RunnerHost(settings, control, lock, {
      config,
      dir: settings.dir,
      controlUrl: settings.controlUrl,
      authorization: control.authorization,
      runners: new RunnerCatalog(config),
      redaction: new Redaction([config.serverEnv, { OPENRUNTIME_RUNNER_TOKEN: settings.token }]),
      sandbox: detectSandbox({ bwrap: config.bwrapPath }),
      limits: await RunLimits.start(config),
      snapshotEveryMs: settings.snapshotEveryMs,
    })
    await host.begin(leftovers)
    return host
  }

  private get spoolDir(): string {
    return spoolDirOf(this.settings.dir)
  }

  private async begin(leftovers: AttemptSpool[]): Promise<void> {
    const registration = await this.registration()
    // What it holds now: only the reports of leftovers; any other run the control plane thinks
    // this host runs died with the previous process (or was claimed just before it died).
    const { lease_ms: leaseMs, host_id: hostId } = await this.untilAnswered(() =>
      this.register({ ...registration, attempts: leftovers.map((spool) => spool.attemptId) }),
    )
    this.sender = new SpoolSender(this.control, (error) => log(`delivering events: ${error.message}`))
    for (const spool of leftovers) this.sender.add(spool)
    this.beat(leaseMs)
    this.stream = new ControlStream(
      this.control,
      (command) => this.apply(command),
      (error) => log(`control stream: ${error.message}`),
    )
    const runners = Object.keys(registration.runners) as RunnerKind[]
    this.worker = new RemoteRunWorker({
      connection: this.settings.broker,
      // Its own pin besides its labels: a follow-up continues on the host holding the session.
      host: { runners, labels: [...this.settings.labels, hostPin(hostId)] },
      slots: this.settings.slots,
      claim: (job) => this.claim(job).then((claimed) => claimed !== null),
      run: (job) => this.runClaimed(job),
      onError: (error) => log(`queue: ${error.message}`),
      idleMs: 100,
      refreshMs: 500,
    })
    log(
      `online: ${runners.join(', ')}; labels ${this.settings.labels.join(', ') || 'none'}; ${this.settings.slots} slot(s)`,
    )
  }

  private async registration(): Promise<RegisterBody> {
    const runners: RegisterBody['runners'] = {}
    for (const info of await this.deps.runners.list(true))
      if (info.available) runners[info.runner] = { version: info.version ?? 'unknown' }
    return {
      runners,
      sandbox: this.deps.sandbox.available,
      slots: this.settings.slots,
      labels: this.settings.labels,
    }
  }

  private async register(body: RegisterBody): Promise<{ lease_ms: number; host_id: string }> {
    const answer = await this.control.call<{ lease_ms: number; host_id: string }>(
      'POST',
      '/runner/v1/register',
      body,
    )
    if (answer.status !== 200)
      throw new Error(`registration refused: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body
  }

  /** Tries again while the control plane cannot be reached (it may be starting or restarting). */
  private async untilAnswered<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call()
      } catch (error) {
        if (!(error instanceof Unreachable) || this.closed) throw error
        await Bun.sleep(250)
      }
    }
  }

  /**
   * Heartbeats four times per lease, at a fixed rate: a beat may take until the next one is due,
   * then it is abandoned (and its connection, which a network partition can leave hanging) and the
   * next one opens a new connection, so the lease is renewed within a quarter lease of the network
   * coming back.
   */
  private beat(leaseMs: number, due = Date.now() + beatEvery(leaseMs)): void {
    this.heartbeat = setTimeout(
      async () => {
        const every = beatEvery(leaseMs)
        let next = leaseMs
        try {
          const answer = await this.control.call<{
            lease_ms: number
            stop: string[]
            error?: { code: string }
          }>('POST', '/runner/v1/heartbeat', { slots_in_use: this.runs.size, attempts: this.held() }, every)
          if (answer.status === 200) {
            next = answer.body.lease_ms
            // The control plane failed them (this host was out of reach past its lease): nobody waits for them.
            for (const attemptId of answer.body.stop) this.runs.get(attemptId)?.requestStop('host-lost')
          } else if (answer.body?.error?.code === 'not_registered' || answer.status === 409) {
            next = (await this.register(await this.registration())).lease_ms
          }
        } catch (error) {
          if (!(error instanceof Unreachable)) log(`heartbeat: ${(error as Error).message}`)
        }
        if (!this.closed) this.beat(next, Math.max(Date.now(), due + beatEvery(next)))
      },
      Math.max(0, due - Date.now()),
    )
  }

  /** The attempts it runs, those it claimed and is about to run, and those whose report is on its way. */
  private held(): string[] {
    return [
      ...new Set([
        ...this.runs.keys(),
        ...[...this.claimed.values()].map((claim) => claim.attempt_id),
        ...(this.sender?.pending() ?? []),
      ]),
    ]
  }

  private async claim(job: RemoteRunJob): Promise<ClaimedRun | null> {
    const answer = await this.untilAnswered(() =>
      this.control.call<ClaimedRun>('POST', '/runner/v1/claim', { task_id: job.taskId, run: job.run }),
    )
    if (answer.status !== 200) {
      log(`claim of task ${job.taskId} run ${job.run} refused (${answer.status}): dropped`)
      return null
    }
    // They name the task's worktree and the attempt's spool on this host's disk.
    if (!SAFE_ID.test(answer.body.task_id) || !SAFE_ID.test(answer.body.attempt_id)) {
      log(`claim of task ${job.taskId} run ${job.run} named ids that are no ids: dropped`)
      return null
    }
    this.claimed.set(`${job.taskId}:${job.run}`, answer.body)
    return answer.body
  }

  private readonly claimed = new Map<string, ClaimedRun>()
  /** Worktrees being removed, by task: a run of the task claimed meanwhile waits for it. */
  private readonly discarding = new Map<string, Promise<void>>()

  private async runClaimed(job: RemoteRunJob): Promise<void> {
    const key = `${job.taskId}:${job.run}`
    const claim = this.claimed.get(key)
    this.claimed.delete(key)
    if (!claim) return
    const spool = new AttemptSpool(this.spoolDir, claim.attempt_id)
    this.sender?.add(spool)
    const run = new HostRun(claim, spool, this.deps)
    this.runs.set(claim.attempt_id, run)
    await this.discarding.get(claim.task_id)?.catch(() => undefined)
    log(`running attempt ${claim.attempt_id} of task ${claim.task_id}`)
    try {
      await run.execute()
    } finally {
      this.runs.delete(claim.attempt_id)
    }
    // The slot is busy until the report is delivered (a full spool must not grow without bound).
    await this.sender?.whenDelivered(claim.attempt_id)
  }

  private async apply(command: ControlCommand): Promise<void> {
    if (command.type === 'discard') return this.discard(command.payload.task_id)
    const run = this.runs.get(command.attempt_id)
    if (!run) return
    if (command.type === 'stop') {
      run.requestStop('user')
      await run.ended
    } else if (command.type === 'reply') {
      const message = command.payload.message
      if (typeof message === 'string') run.reply(message)
    } else if (command.type === 'approval') {
      const { approval_id, allow, message, by } = command.payload
      if (typeof approval_id !== 'string' || typeof allow !== 'boolean') return
      const answer = { allow, ...(typeof message === 'string' ? { message } : {}) }
      // Not waiting any more (its timeout denied it first): the host said so when it closed it.
      run.answerApproval(approval_id, answer, typeof by === 'string' ? by : 'control plane user')
    }
  }

  /** The task's worktree was cleaned up on the control plane: this host's copy goes, unless it runs again now. */
  private async discard(taskId: unknown): Promise<void> {
    if (typeof taskId !== 'string' || !SAFE_ID.test(taskId)) return
    const claimed = [...this.claimed.values()].some((claim) => claim.task_id === taskId)
    if (claimed || [...this.runs.values()].some((run) => run.task.id === taskId)) return
    const removal = discardWorktree(this.settings.dir, taskId)
    this.discarding.set(taskId, removal)
    try {
      await removal
    } finally {
      if (this.discarding.get(taskId) === removal) this.discarding.delete(taskId)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.heartbeat) clearTimeout(this.heartbeat)
    await this.worker?.close()
    for (const run of this.runs.values()) run.requestStop('server-shutdown')
    await Promise.all([...this.runs.values()].map((run) => run.ended))
    await this.sender?.flush()
    this.sender?.close()
    await this.stream?.close()
    this.deps.limits.close()
    this.lock.release()
  }
}
