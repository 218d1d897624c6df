import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { isIP, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Endpoint, endpointKey, isLoopbackEndpoint, uniqueEndpoints } from '../../policy/endpoints'
import { processStartTime } from '../../process/process-group'
import type { ProcessSpec } from '../../process/supervise'
import { filteringProxy } from './filtering-proxy'
import { portForward } from './port-forward'
import { upstreamProxy } from './upstream'

/** Where a run's sockets appear inside its sandbox: under the private /tmp, read-only. */
export const SANDBOX_SOCKET_DIR = '/tmp/.openruntime-net'
const DIR_PREFIX = 'openruntime-net-'
const STALE_DIR = /^openruntime-net-(\d+)-(\d+)-/
const BRIDGE = join(import.meta.dir, 'bridge.ts')
/** The bridge's own flags: no .env, bunfig.toml or package installs from the run's working directory. */
const BRIDGE_FLAGS = ['--no-env-file', '--no-install', '--config=/dev/null', '--smol']
const PREFERRED_PROXY_PORT = 3128
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']
const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'all_proxy']
/** A run that tries many hosts does not get to flood its timeline: the first ones are reported. */
const MAX_REPORTED_REFUSALS = 20

export interface RunNetworkOptions {
  /** What the run may reach: loopback ones through a forwarded port, the others through the proxy. */
  endpoints: Endpoint[]
  /** The CLI's own environment: its HTTPS_PROXY and NO_PROXY become the proxy's upstream. */
  env: Record<string, string>
  /** A request for another endpoint was refused (each endpoint once, the first few only). */
  onRefused(target: string): void
  /** Where the run's socket directory is made; the OS temp directory by default. */
  root?: string
}

interface Forward {
  port: number
  /** Where the port listens inside the sandbox; the first is required. */
  addresses: string[]
  target: Endpoint
}

export interface WrappedSpec {
  spec: ProcessSpec
  /** Programs the wrapped command starts besides its first (to be visible inside the sandbox). */
  programs: string[]
}

/**
 * The network of one sandboxed agent run, whose sandbox has a network namespace of its own: the
 * server listens on Unix sockets in a directory made for the run (never inside the data directory,
 * which runs do not see), bound read-only into the sandbox; a bridge inside listens on 127.0.0.1
 * and relays to them. Each loopback endpoint (a model server on this machine) gets exactly its port
 * forwarded to exactly that port of the host; every other endpoint is reachable through the
 * filtering proxy, which the CLI is pointed at. Nothing else on the host, its loopback included,
 * can be reached from inside.
 */
export class RunNetwork {
  private readonly connections = new Set<Socket>()

  private constructor(
    readonly dir: string,
    readonly endpoints: Endpoint[],
    private readonly proxyPort: number,
    private readonly forwards: Forward[],
    private readonly servers: Server[],
  ) {
    for (const server of servers) {
      server.on('connection', (socket: Socket) => {
        this.connections.add(socket)
        socket.once('close', () => this.connections.delete(socket))
      })
    }
  }

  static async open(options: RunNetworkOptions): Promise<RunNetwork> {
    const endpoints = uniqueEndpoints(options.endpoints)
    const forwards = forwardsOf(endpoints.filter(isLoopbackEndpoint))
    const taken = new Set(forwards.map((forward) => forward.port))
    let proxyPort = PREFERRED_PROXY_PORT
    while (taken.has(proxyPort)) proxyPort++
    const dir = mkdtempSync(join(options.root ?? tmpdir(), `${DIR_PREFIX}${process.pid}-${ownerTicks()}-`))
    const reported = new Set<string>()
    const proxy = filteringProxy({
      allowed: endpoints,
      upstream: upstreamProxy(options.env),
      onRefused: (target) => {
        if (reported.has(target) || reported.size >= MAX_REPORTED_REFUSALS) return
        reported.add(target)
        options.onRefused(target)
      },
    })
    const servers: Array<[Server, string]> = [
      [proxy, join(dir, 'proxy.sock')],
      ...forwards.map((forward): [Server, string] => [
        portForward(forward.target),
        join(dir, socketName(forward.port)),
      ]),
    ]
    try {
      await Promise.all(servers.map(([server, path]) => listen(server, path)))
    } catch (error) {
      for (const [server] of servers) server.close()
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`could not open the run's network: ${(error as Error).message}`)
    }
    return new RunNetwork(
      dir,
      endpoints,
      proxyPort,
      forwards,
      servers.map(([server]) => server),
    )
  }

  /** Binds the run's socket directory into the sandbox. */
  get mount(): { source: string; target: string } {
    return { source: this.dir, target: SANDBOX_SOCKET_DIR }
  }

  /** The process behind the bridge, its proxy settings pointing at the filtering proxy. */
  wrap(spec: ProcessSpec): WrappedSpec {
    const listeners = [
      { port: this.proxyPort, hosts: ['127.0.0.1'], socket: `${SANDBOX_SOCKET_DIR}/proxy.sock` },
      ...this.forwards.map((forward) => ({
        port: forward.port,
        hosts: forward.addresses,
        socket: `${SANDBOX_SOCKET_DIR}/${socketName(forward.port)}`,
      })),
    ]
    const proxyUrl = `http://127.0.0.1:${this.proxyPort}`
    const direct = [...new Set([...LOOPBACK_NAMES, ...this.forwards.map((forward) => forward.target.host)])]
    const env: Record<string, string> = {
      ...spec.env,
      NO_PROXY: direct.join(','),
      no_proxy: direct.join(','),
    }
    for (const name of PROXY_VARIABLES) env[name] = proxyUrl
    return {
      spec: {
        ...spec,
        argv: [process.execPath, ...BRIDGE_FLAGS, BRIDGE, JSON.stringify(listeners), ...spec.argv],
        env,
      },
      programs: [BRIDGE, ...spec.argv.slice(0, 1)],
    }
  }

  /** The allowed endpoints, as `host:port`. */
  describe(): string[] {
    return this.endpoints.map(endpointKey)
  }

  /** Stops listening, ends every relayed connection and removes the run's directory. */
  close(): void {
    for (const server of this.servers) server.close()
    for (const socket of this.connections) socket.destroy()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/**
 * Removes the socket directories of servers that are gone (killed before they could clean up).
 * Only directories of this user whose server process no longer runs are touched.
 */
export function sweepStaleRunNetworks(root = tmpdir()): string[] {
  let names: string[]
  try {
    names = readdirSync(root)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const match = STALE_DIR.exec(name)
    if (!match) continue
    const path = join(root, name)
    try {
      const stat = lstatSync(path)
      if (!stat.isDirectory() || stat.uid !== process.getuid?.()) continue
      if (processStartTime(Number(match[1])) === match[2]) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(path)
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed
}

/** One forward per port; a name (localhost) listens on both loopback addresses. */
function forwardsOf(endpoints: Endpoint[]): Forward[] {
  const byPort = new Map<number, Forward>()
  for (const endpoint of endpoints) {
    const addresses = isIP(endpoint.host) ? [endpoint.host] : ['127.0.0.1', '::1']
    const forward = byPort.get(endpoint.port)
    if (forward) forward.addresses = [...new Set([...forward.addresses, ...addresses])]
    else byPort.set(endpoint.port, { port: endpoint.port, addresses, target: endpoint })
  }
  return [...byPort.values()]
}

const socketName = (port: number) => `port-${port}.sock`

/** The server's own start time: with its pid, what tells a live server's directory from a stale one. */
const ownerTicks = () => processStartTime(process.pid) ?? '0'

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
