import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Subprocess } from 'bun'
import { freeLoopbackPort } from './ports'
import { collectOutput } from './processes'

/** Where brokers that share queues keep them (see README, "Runs on other machines"). */
export interface BrokerPostgres {
  url: string
  namespace: string
  /** Unique and stable per broker. */
  brokerId: string
}

export interface BunqueueServerOptions {
  /** The token clients must present; the server accepts no other. */
  token: string
  /** Its SQLite file (the default storage); ignored with `postgres`. */
  dataPath?: string
  postgres?: BrokerPostgres
  /** Fixed ports, to restart a server where its clients expect it; free ones otherwise. */
  tcpPort?: number
  httpPort?: number
  /** The address to listen on (default 127.0.0.1; a test network's address for a host in a namespace). */
  host?: string
  /** Extra environment (e.g. BUNQUEUE_POSTGRES_LEASE_DURATION_MS). */
  env?: Record<string, string>
}

/** A real `bunqueue start` process bound to 127.0.0.1 (or the address given). */
export interface BunqueueServer {
  tcpPort: number
  httpPort: number
  /** What a client's `connection` option wants. */
  connection: { host: string; port: number; token: string }
  /** `bunqueue://:<token>@<address>:<port>`, as OPENRUNTIME_QUEUE_URL wants it. */
  url: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  output(): string
  /** SIGTERM, as an operator stops it. */
  stop(): Promise<void>
  /** SIGKILL, as a crash. */
  kill(): Promise<void>
  options: BunqueueServerOptions
}

/** The pinned package's own CLI, found through its package.json `bin` (its shebang wants a `bun` on PATH). */
function bunqueueCli(): string {
  const manifest = require.resolve('bunqueue/package.json')
  const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin.bunqueue
  if (bin === undefined) throw new Error(`bunqueue's package.json (${manifest}) names no bunqueue bin`)
  return join(dirname(manifest), bin)
}

function spawnServer(options: BunqueueServerOptions, tcpPort: number, httpPort: number) {
  const args = [
    'start',
    '--host',
    options.host ?? '127.0.0.1',
    '--tcp-port',
    String(tcpPort),
    '--http-port',
    String(httpPort),
    '--auth-tokens',
    options.token,
  ]
  const storage: Record<string, string> =
    options.postgres === undefined
      ? {}
      : {
          BUNQUEUE_POSTGRES_URL: options.postgres.url,
          BUNQUEUE_POSTGRES_NAMESPACE: options.postgres.namespace,
          BUNQUEUE_BROKER_ID: options.postgres.brokerId,
        }
  if (options.postgres === undefined && options.dataPath !== undefined)
    args.push('--data-path', options.dataPath)
  const proc = Bun.spawn([process.execPath, bunqueueCli(), ...args], {
    // Nothing inherited: the server's configuration is exactly what is written here.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...storage,
      ...options.env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const output = collectOutput(proc)
  return { proc, output }
}

/** Starts a server and waits until its HTTP /health answers; retries on new ports if a port was taken. */
export async function startBunqueueServer(options: BunqueueServerOptions): Promise<BunqueueServer> {
  const fixed = options.tcpPort !== undefined
  const host = options.host ?? '127.0.0.1'
  for (let attempt = 1; ; attempt++) {
    const tcpPort = options.tcpPort ?? freeLoopbackPort()
    const httpPort = options.httpPort ?? freeLoopbackPort()
    const { proc, output } = spawnServer(options, tcpPort, httpPort)
    const deadline = Date.now() + 30_000
    let healthy = false
    while (!healthy && proc.exitCode === null && Date.now() < deadline) {
      healthy = await fetch(`http://${host}:${httpPort}/health`)
        .then((response) => response.ok)
        .catch(() => false)
      if (!healthy) await Bun.sleep(50)
    }
    if (healthy) {
      const connection = { host, port: tcpPort, token: options.token }
      const ended = async (signal: NodeJS.Signals) => {
        proc.kill(signal)
        await proc.exited
      }
      return {
        tcpPort,
        httpPort,
        connection,
        url: `bunqueue://:${encodeURIComponent(options.token)}@${host}:${tcpPort}`,
        proc,
        output,
        stop: () => ended('SIGTERM'),
        kill: () => ended('SIGKILL'),
        options,
      }
    }
    proc.kill('SIGKILL')
    await proc.exited
    if (fixed || attempt === 3 || !/EADDRINUSE|address already in use/i.test(output())) {
      throw new Error(`bunqueue server did not become healthy (exit ${proc.exitCode}):\n${output()}`)
    }
  }
}

/** The same server again (same ports, token and storage), after stop() or kill(). */
export function restartBunqueueServer(server: BunqueueServer): Promise<BunqueueServer> {
  return startBunqueueServer({ ...server.options, tcpPort: server.tcpPort, httpPort: server.httpPort })
}
