import { closeSync, constants, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type BunqueueServer, startBunqueueServer } from './bunqueue-server'
import { makeRepo } from './git-repo'
import { freeLoopbackPort } from './ports'
import { type RunnerHostProcess, spawnRunnerHost } from './runner-host-process'
import { api, type ServerProcess, spawnServer } from './server-process'
import { tempDir, waitFor } from './temp'

const BROKER_TOKEN = 'broker-token-for-runner-cluster-tests'

export interface ClusterOptions {
  /** OPENRUNTIME_RUNNER_LEASE_MS of the control plane. */
  leaseMs: number
  /** The address the control plane and the broker listen on (default 127.0.0.1). */
  bind?: string
}

export interface HostSpec {
  name: string
  labels: string[]
  token: string
  env: Record<string, string>
  /** Runs the host's command under this prefix (`ip netns exec <ns>`). */
  prefix: string[]
}

export interface TaskEvent {
  seq: number
  kind: string
  message: string
  attempt_id: string | null
  metadata: Record<string, unknown> | null
}

/** A host without bubblewrap or cgroups: what its runs start outlives it unless it ends them itself. */
export const UNCONTAINED = { OPENRUNTIME_BWRAP: '/nonexistent/bwrap', OPENRUNTIME_LIMITS: 'rlimit' }

/**
 * A whole remote setup as real processes: a bunqueue server, a control plane (restartable on the
 * same port and database) and runner hosts, each with its own HOME and OPENRUNTIME_RUNNER_DIR.
 */
export class RunnerCluster {
  readonly dir = tempDir('openruntime-cluster-')
  readonly repo: string
  readonly hosts = new Map<string, { spec: HostSpec; proc: RunnerHostProcess }>()
  private readonly ended: string[] = []

  private constructor(
    readonly broker: BunqueueServer,
    public server: ServerProcess,
    private readonly serverEnv: Record<string, string>,
  ) {
    this.repo = makeRepo(join(this.dir.path, 'repo'))
  }

  static async start(options: ClusterOptions): Promise<RunnerCluster> {
    const dir = tempDir('openruntime-cluster-data-')
    const bind = options.bind ?? '127.0.0.1'
    const broker = await startBunqueueServer({
      token: BROKER_TOKEN,
      dataPath: join(dir.path, 'broker.db'),
      host: bind,
    })
    const serverEnv = {
      HOST: bind,
      PORT: String(freeLoopbackPort()),
      OPENRUNTIME_DB: join(dir.path, 'control', 'db.sqlite3'),
      OPENRUNTIME_QUEUE_URL: broker.url,
      OPENRUNTIME_RUNNER_LEASE_MS: String(options.leaseMs),
    }
    try {
      const server = await spawnServer(serverEnv)
      const cluster = new RunnerCluster(broker, server, serverEnv)
      cluster.extra.push(dir)
      return cluster
    } catch (error) {
      await broker.kill()
      dir.cleanup()
      throw error
    }
  }

  private readonly extra: { cleanup: () => void }[] = []

  api<T = any>(method: string, path: string, body?: unknown) {
    return api<T>(this.server, method, path, body)
  }

  /** kill -9 of the control plane, then the same again: same port, same database, same token. */
  async crashServer(): Promise<void> {
    this.ended.push(`--- control plane (killed)\n${this.server.output()}`)
    await this.server.kill('SIGKILL')
  }

  async startServer(): Promise<void> {
    this.server = await spawnServer(this.serverEnv)
  }

  /** Creates the host on the control plane, starts its process and waits until it is online. */
  async addHost(
    name: string,
    labels: string[],
    options: { env?: Record<string, string>; prefix?: string[]; controlUrl?: string } = {},
  ): Promise<RunnerHostProcess> {
    const created = await this.api('POST', '/runner-hosts', { name, labels })
    if (created.status !== 201) throw new Error(`runner host not created: ${JSON.stringify(created.body)}`)
    const spec: HostSpec = {
      name,
      labels,
      token: created.body.token,
      env: { ...options.env, ...(options.controlUrl ? { OPENRUNTIME_CONTROL_URL: options.controlUrl } : {}) },
      prefix: options.prefix ?? [],
    }
    return this.spawnHost(spec)
  }

  /** The host's process again, on the same directory and token (after it was killed). */
  restartHost(name: string): Promise<RunnerHostProcess> {
    const host = this.hosts.get(name)
    if (!host) throw new Error(`no host ${name}`)
    this.ended.push(`--- ${name} (ended)\n${host.proc.output()}`)
    return this.spawnHost(host.spec)
  }

  host(name: string): RunnerHostProcess {
    const host = this.hosts.get(name)
    if (!host) throw new Error(`no host ${name}`)
    return host.proc
  }

  private async spawnHost(spec: HostSpec): Promise<RunnerHostProcess> {
    const proc = this.spawnHostProcess(spec)
    this.hosts.set(spec.name, { spec, proc })
    // Its own word (the control plane may still count an earlier process of it as online).
    await this.until(`runner host ${spec.name} to start`, () => {
      if (proc.proc.exitCode !== null) throw new Error(`runner host ${spec.name} exited:\n${proc.output()}`)
      return proc.output().includes('[runner-host] online:')
    })
    await this.untilHost(spec.name, 'online')
    return proc
  }

  /** Starts the host's process without waiting for it (for one expected to be refused). */
  spawnHostProcess(spec: HostSpec): RunnerHostProcess {
    return spawnRunnerHost({
      name: spec.name,
      root: this.dir.path,
      controlUrl: this.server.url,
      token: spec.token,
      queueUrl: this.broker.url,
      labels: spec.labels,
      env: spec.env,
      prefix: spec.prefix,
    })
  }

  spec(name: string): HostSpec {
    const host = this.hosts.get(name)
    if (!host) throw new Error(`no host ${name}`)
    return host.spec
  }

  async untilHost(name: string, status: string): Promise<void> {
    await this.until(`runner host ${name} ${status}`, async () => {
      const list = (await this.api('GET', '/runner-hosts')).body as { name: string; status: string }[]
      return list.find((entry) => entry.name === name)?.status === status
    })
  }

  /** Creates a shell task placed by `labels` and starts it; returns its id. */
  async startTask(command: string, labels: string[]): Promise<string> {
    const created = await this.api('POST', '/tasks', {
      title: command.slice(0, 60),
      prompt: '',
      runner: 'shell',
      command,
      workspace: this.repo,
      runner_labels: labels,
    })
    if (created.status !== 200) throw new Error(`task not created: ${JSON.stringify(created.body)}`)
    const started = await this.api('POST', `/tasks/${created.body.id}/start`)
    if (started.status !== 200) throw new Error(`task not started: ${JSON.stringify(started.body)}`)
    return created.body.id
  }

  async task(id: string) {
    return (await this.api('GET', `/tasks/${id}?events=none`)).body
  }

  async events(id: string): Promise<TaskEvent[]> {
    return (await this.api('GET', `/tasks/${id}/events?limit=5000`)).body
  }

  untilStatus(id: string, statuses: string[]) {
    return this.until(`task ${id} to be ${statuses.join(' or ')}`, async () => {
      const task = await this.task(id)
      return statuses.includes(task.status) ? task : null
    })
  }

  /** Waits until the task's timeline has an event `match` accepts (delivered from its host). */
  untilEvent(id: string, what: string, match: (event: TaskEvent) => boolean) {
    return this.until(`task ${id}: ${what}`, async () => (await this.events(id)).find(match) ?? null)
  }

  /** The task's current attempt and the host it runs on. */
  async placement(id: string): Promise<{ attemptId: string; host: string; worktree: string }> {
    const task = await this.task(id)
    const hostId = task.current_attempt?.runner_host_id
    const hosts = (await this.api('GET', '/runner-hosts')).body as { id: string; name: string }[]
    const host = hosts.find((entry) => entry.id === hostId)
    if (!host) throw new Error(`task ${id} runs on no known host: ${JSON.stringify(task.current_attempt)}`)
    const attemptId: string = task.current_attempt.id
    // A host keeps one worktree per task (a follow-up continues in it).
    return { attemptId, host: host.name, worktree: join(this.host(host.name).dir, 'worktrees', id) }
  }

  async until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 45_000): Promise<NonNullable<T>> {
    try {
      return await waitFor(what, check, timeoutMs)
    } catch (error) {
      console.error(this.dump())
      throw error
    }
  }

  dump(): string {
    return [
      ...this.ended,
      `--- control plane\n${this.server.output()}`,
      ...[...this.hosts.values()].map(({ spec, proc }) => `--- ${spec.name}\n${proc.output()}`),
    ].join('\n')
  }

  async close(): Promise<void> {
    // Stopped as an operator would (SIGTERM), so each removes its cgroup directories; killed if it hangs.
    for (const { proc } of this.hosts.values()) {
      if (proc.proc.exitCode !== null || proc.proc.signalCode !== null) continue
      proc.proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.proc.kill('SIGKILL'), 10_000)
      await proc.proc.exited
      clearTimeout(timer)
    }
    await this.server.kill()
    await this.broker.kill()
    for (const dir of this.extra) dir.cleanup()
    this.dir.cleanup()
  }
}

/**
 * A gate a task waits at: `gate(name)` is the shell that makes a fifo in its worktree and blocks
 * reading it; `open` lets it through (once the task is reading; before that, opening fails).
 */
export const gate = (name: string) =>
  `mkfifo .${name} && echo "at ${name}" && read _ < .${name} && rm .${name}`

export async function openGate(worktree: string, name: string): Promise<void> {
  await waitFor(`gate ${name} in ${worktree} to be waited at`, () => {
    let fd: number
    try {
      fd = openSync(join(worktree, `.${name}`), constants.O_WRONLY | constants.O_NONBLOCK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // Not made yet, or nobody reads it yet.
      if (code === 'ENOENT' || code === 'ENXIO') return false
      throw error
    }
    try {
      writeSync(fd, 'go\n')
    } finally {
      closeSync(fd)
    }
    return true
  })
}
