import { randomUUID } from 'node:crypto'
import type {
  AttemptRecord,
  CreateRunnerHostBody,
  HeartbeatBody,
  RegisterBody,
  RunnerHostView,
} from '../domain'
import { AppError, conflict, notFound } from '../errors'
import type { StoredRunnerHost } from '../storage/runner-hosts'
import type { ControlChannel } from './control'
import type { HostDeps } from './deps'
import { type FailureCause, failRemoteAttempt } from './remote-outcome'
import { newRunnerToken, RUNNER_TOKEN, sameHash, tokenHash, tokenPrefix } from './tokens'

/** The host a runner token authenticates (never a revoked one). */
export type AuthenticatedHost = StoredRunnerHost

const view = (deps: HostDeps, host: StoredRunnerHost): RunnerHostView => {
  const { assigned_labels: _assigned, lease_expires_at: _lease, ...record } = host
  return { ...record, running_attempts: deps.store.runnerHosts.liveAttempts(host.id) }
}

/**
 * The runner hosts this control plane knows: created (with a token shown once) and revoked by the
 * user, registered and kept alive by the hosts themselves. A host whose lease ran out is lost and
 * its attempts fail; nothing is run again behind the user's back.
 */
export class RunnerHostRegistry {
  private readonly goneListeners = new Set<(hostId: string) => void>()

  constructor(
    private readonly deps: HostDeps,
    private readonly control: ControlChannel,
  ) {}

  create(body: CreateRunnerHostBody): { host: RunnerHostView; token: string } {
    const { store } = this.deps
    if (store.runnerHosts.nameTaken(body.name))
      throw conflict('runner_host_exists', `a runner host named ${body.name} exists already`)
    const token = newRunnerToken()
    const id = randomUUID()
    store.runnerHosts.insert(
      {
        id,
        name: body.name,
        token_sha256: tokenHash(token),
        token_prefix: tokenPrefix(token),
        labels: body.labels ?? [],
      },
      new Date().toISOString(),
    )
    return { host: this.view(id), token }
  }

  list(): RunnerHostView[] {
    return this.deps.store.runnerHosts.list().map((host) => view(this.deps, host))
  }

  view(id: string): RunnerHostView {
    return view(this.deps, this.get(id))
  }

  get(id: string): StoredRunnerHost {
    const host = this.deps.store.runnerHosts.get(id)
    if (!host) throw notFound('runner_host', id)
    return host
  }

  /** Every host not revoked (what placement considers). */
  usable(): StoredRunnerHost[] {
    return this.deps.store.runnerHosts.list().filter((host) => host.status !== 'revoked')
  }

  /**
   * Revokes the host: its token is refused from now on, its command streams end, and each of its
   * running attempts fails with the reason.
   */
  revoke(id: string): RunnerHostView {
    const host = this.get(id)
    if (host.status !== 'revoked') {
      this.deps.store.runnerHosts.revoke(id, new Date().toISOString())
      this.control.disconnect(id)
      this.failAttempts(host, 'revoked')
      this.gone(id)
    }
    return this.view(id)
  }

  /** The host a token belongs to, or null (unknown, malformed or revoked). */
  authenticate(token: string | null): AuthenticatedHost | null {
    if (token === null || !RUNNER_TOKEN.test(token)) return null
    const hash = tokenHash(token)
    const host = this.deps.store.runnerHosts.byTokenHash(hash)
    if (!host || !sameHash(hash, host.token_sha256) || host.status === 'revoked') return null
    const { token_sha256: _hash, ...stored } = host
    return stored
  }

  /** For the git endpoint (src/git/http-backend.ts's GitRemoteAccess). */
  hostFor(token: string): { id: string; name: string } | null {
    const host = this.authenticate(token)
    return host ? { id: host.id, name: host.name } : null
  }

  get leaseMs(): number {
    return this.deps.config.runnerLeaseMs
  }

  /**
   * Records what the host runs. A host that names the attempts it holds (a process that just
   * started) holds no other: each other attempt still running here on it failed with the process
   * that ran it, and fails now rather than at the end of a lease the new process keeps renewing.
   */
  register(host: AuthenticatedHost, body: RegisterBody): { host_id: string; lease_ms: number } {
    this.deps.store.runnerHosts.register(host.id, body, new Date().toISOString(), Date.now() + this.leaseMs)
    const { attempts } = body
    if (attempts !== undefined) {
      const held = new Set(attempts)
      this.failAttempts(host, 'restarted', (attempt) => !held.has(attempt.id))
    }
    return { host_id: host.id, lease_ms: this.leaseMs }
  }

  /**
   * Renews the lease. The answer names the attempts the host must stop: those it holds that are
   * not its own, or no longer running (failed after its lease ran out, stopped, finished). An
   * attempt of the host's that its heartbeats have left out for a whole lease after its claim is
   * not running anywhere (the claim's answer never reached the host, say): it fails.
   */
  heartbeat(host: AuthenticatedHost, body: HeartbeatBody): { lease_ms: number; stop: string[] } {
    const { store } = this.deps
    if (host.registered_at === null)
      throw new AppError(
        'conflict',
        'not_registered',
        `runner host ${host.name} must register before it heartbeats`,
      )
    store.runnerHosts.heartbeat(
      host.id,
      body.slots_in_use,
      new Date().toISOString(),
      Date.now() + this.leaseMs,
    )
    const held = new Set(body.attempts)
    const claimedBefore = Date.now() - this.leaseMs
    this.failAttempts(
      host,
      'unheld',
      (attempt) => !held.has(attempt.id) && Date.parse(attempt.started_at) < claimedBefore,
    )
    const live = new Set(store.runnerHosts.liveAttempts(host.id).map((attempt) => attempt.id))
    return { lease_ms: this.leaseMs, stop: body.attempts.filter((id) => !live.has(id)) }
  }

  /**
   * At start-up: nobody could heartbeat to this control plane while it was down, so every online
   * host gets a full lease from now before the sweeper may call it lost.
   */
  renewLeases(): void {
    const { store } = this.deps
    for (const host of store.runnerHosts.list())
      if (host.status === 'online')
        store.runnerHosts.heartbeat(
          host.id,
          host.slots_in_use,
          host.last_heartbeat_at ?? new Date().toISOString(),
          Date.now() + this.leaseMs,
        )
  }

  /** Every online host past its lease becomes lost and its attempts fail. Returns the hosts lost. */
  sweep(nowMs = Date.now()): string[] {
    const lost: string[] = []
    for (const host of this.deps.store.runnerHosts.expired(nowMs)) {
      if (!this.deps.store.runnerHosts.markLost(host.id, nowMs)) continue
      this.failAttempts(host, 'lost')
      this.gone(host.id)
      lost.push(host.name)
    }
    return lost
  }

  /** Told of each host that stops being live (lost or revoked): what waited for it goes elsewhere. */
  onHostGone(listener: (hostId: string) => void): void {
    this.goneListeners.add(listener)
  }

  private gone(hostId: string): void {
    for (const listener of this.goneListeners) listener(hostId)
  }

  private failAttempts(
    host: StoredRunnerHost,
    why: FailureCause,
    which: (attempt: AttemptRecord) => boolean = () => true,
  ): void {
    for (const attempt of this.deps.store.runnerHosts.liveAttempts(host.id).filter(which)) {
      try {
        failRemoteAttempt(this.deps, attempt, host, why)
      } catch (error) {
        // The next sweep (or the user) tries again; one attempt must not keep the others running.
        console.error(`failing attempt ${attempt.id} of runner host ${host.name}`, error)
      }
    }
  }
}
