import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { detectSandbox, normalizePolicy, sandboxCommand } from '../../src/policy'
import type { Endpoint } from '../../src/policy/endpoints'
import { groupAlive, processLiving, processStartTime, signalGroup } from '../../src/process/process-group'
import { filteringProxy } from '../../src/workers/network/filtering-proxy'
import { RunNetwork, sweepStaleRunNetworks } from '../../src/workers/network/run-network'
import { tempDir, waitFor } from '../support/temp'

/**
 * An agent run's network, piece by piece with real parts: the filtering proxy on its Unix socket,
 * the bridge inside real bubblewrap, real curl as the client, real servers as upstreams.
 */

const BWRAP = '/usr/bin/bwrap'
const temp = tempDir('openruntime-net-test-')
/** A model API on a loopback name: what the run is allowed to reach. */
let allowed: ReturnType<typeof Bun.serve>
/** Another loopback service: what it must never reach. */
let forbidden: ReturnType<typeof Bun.serve>
let forbiddenRequests = 0

beforeAll(() => {
  allowed = Bun.serve({
    hostname: 'localhost',
    port: 0,
    fetch: (request) => new Response(`allowed upstream: ${new URL(request.url).pathname}\n`),
  })
  forbidden = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () => {
      forbiddenRequests++
      return new Response('nobody should see this\n')
    },
  })
})

afterAll(() => {
  allowed.stop(true)
  forbidden.stop(true)
  temp.cleanup()
})

const allowedEndpoint = (): Endpoint => ({ host: 'localhost', port: allowed.port ?? 0 })

/** Runs `script` with sh in the default preset's sandbox behind the run's network; resolves with its exit and output. */
async function inSandbox(network: RunNetwork, script: string) {
  const sandbox = detectSandbox({ bwrap: BWRAP })
  expect(sandbox).toMatchObject({ available: true })
  const wrapped = network.wrap({
    argv: ['/bin/sh', '-c', script],
    cwd: '/',
    env: { PATH: '/usr/bin:/bin' },
    keepStdin: false,
  })
  const command = sandboxCommand({
    argv: wrapped.spec.argv,
    policy: normalizePolicy(undefined),
    writableDirs: [],
    cwd: '/',
    home: '/nonexistent',
    mounts: [network.mount],
    programs: wrapped.programs,
    sandbox,
  })
  expect(command.active).toBe(true)
  const child = Bun.spawn(command.argv, {
    env: wrapped.spec.env,
    stdout: 'pipe',
    stderr: 'pipe',
    detached: true,
  })
  return {
    child,
    exited: child.exited,
    stdout: new Response(child.stdout).text(),
    stderr: new Response(child.stderr).text(),
  }
}

describe('through the sandbox', () => {
  test('the allowed endpoint answers directly and through the proxy; another loopback service is refused both ways', async () => {
    const refused: string[] = []
    const network = await RunNetwork.open({
      endpoints: [allowedEndpoint()],
      env: {},
      onRefused: (target) => refused.push(target),
      root: temp.path,
    })
    const a = `http://localhost:${allowed.port}`
    const f = `http://127.0.0.1:${forbidden.port}`
    const fetchLine = (label: string, flags: string, url: string) =>
      `echo "${label}: $(curl -s -m 5 -w ' %{http_code} %{http_connect}' ${flags} ${url})"`
    const run = await inSandbox(
      network,
      [
        fetchLine('allowed-direct', '', `${a}/direct`),
        fetchLine('allowed-proxy', `--noproxy '' --proxy "$HTTP_PROXY"`, `${a}/proxied`),
        fetchLine('allowed-tunnel', `--noproxy '' --proxytunnel --proxy "$HTTP_PROXY"`, `${a}/tunnelled`),
        fetchLine('forbidden-direct', '', f),
        fetchLine('forbidden-proxy', `--noproxy '' --proxy "$HTTP_PROXY"`, f),
        fetchLine('forbidden-tunnel', `--noproxy '' --proxytunnel --proxy "$HTTP_PROXY"`, f),
        'exit 7',
      ].join('; '),
    )
    expect(await run.exited).toBe(7)
    // Each attempt: the body (if any), then the HTTP status and the CONNECT status (000: none).
    expect((await run.stdout).trim().split('\n')).toEqual([
      'allowed-direct: allowed upstream: /direct',
      ' 200 000',
      'allowed-proxy: allowed upstream: /proxied',
      ' 200 000',
      'allowed-tunnel: allowed upstream: /tunnelled',
      ' 200 200',
      'forbidden-direct:  000 000',
      `forbidden-proxy: openRuntime: 127.0.0.1:${forbidden.port} is not an endpoint this run may reach`,
      ' 403 000',
      'forbidden-tunnel:  000 403',
    ])
    expect(forbiddenRequests).toBe(0)
    expect(refused).toEqual([`127.0.0.1:${forbidden.port}`])
    network.close()
    expect(existsSync(network.dir)).toBe(false)
  })

  /** The CLI answers TERM once (a duplicate would print twice); what it started ignores TERM. */
  const stubbornCli = (marker: string) =>
    `trap 'echo got-term; trap - TERM; kill -TERM $$' TERM; ` +
    // Only the background process's own name holds the whole marker (the script spells it in parts).
    `m=${marker.slice(0, 5)}; bash -c 'trap "" TERM; exec -a "$0" sleep 60' "\${m}${marker.slice(5)}" & ` +
    'echo ready; wait'

  test('a signal to the bridge reaches the CLI once, its exit says which, and nothing the CLI started survives', async () => {
    const network = await RunNetwork.open({
      endpoints: [],
      env: {},
      onRefused: () => undefined,
      root: temp.path,
    })
    const marker = `orphan-check-${process.pid}-bridge`
    const run = await inSandbox(network, stubbornCli(marker))
    await waitFor('the CLI and what it started to run', () => processesMentioning(marker).length > 0)
    // The bridge itself, not bwrap (whose arguments name it too): its program is Bun.
    const [bridge] = processesMentioning('bridge.ts').filter(
      (pid) => processGroupOf(pid) === run.child.pid && programOf(pid) === process.execPath,
    )
    expect(bridge).toBeNumber()
    process.kill(bridge as number, 'SIGTERM')
    expect(await run.exited).toBe(128 + 15)
    expect(await run.stdout).toBe('ready\ngot-term\n')
    await waitFor('what the CLI started to be gone', () => processesMentioning(marker).length === 0)
    network.close()
  })

  test('a signal to the whole group (what a stop sends) ends the sandbox and everything in it', async () => {
    const network = await RunNetwork.open({
      endpoints: [],
      env: {},
      onRefused: () => undefined,
      root: temp.path,
    })
    const marker = `orphan-check-${process.pid}-group`
    const run = await inSandbox(network, stubbornCli(marker))
    await waitFor('the CLI and what it started to run', () => processesMentioning(marker).length > 0)
    signalGroup(run.child.pid, 'SIGTERM')
    expect(await run.exited).toBe(128 + 15)
    await waitFor('the sandbox to be gone', async () => !(await groupAlive(run.child.pid)))
    await waitFor('what the CLI started to be gone', () => processesMentioning(marker).length === 0)
    network.close()
  })
})

describe('the filtering proxy on its socket', () => {
  let upstreamTargets: string[] = []
  let upstream: net.Server

  beforeAll(async () => {
    // A company proxy: records what it is asked to tunnel to, and tunnels.
    upstream = net.createServer((client) => {
      client.once('data', (head) => {
        const target = /^CONNECT (\S+) /.exec(head.toString())?.[1] ?? ''
        upstreamTargets.push(target)
        const [host, port] = [
          target.slice(0, target.lastIndexOf(':')),
          Number(target.slice(target.lastIndexOf(':') + 1)),
        ]
        const server = net.connect({ host, port }, () => {
          client.write('HTTP/1.1 200 OK\r\n\r\n')
          client.pipe(server).pipe(client)
        })
        server.on('error', () => client.destroy())
      })
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  })
  afterAll(() => upstream.close())

  async function proxyOn(options: Partial<Parameters<typeof filteringProxy>[0]> = {}) {
    const path = join(temp.path, `proxy-${Math.random().toString(36).slice(2)}.sock`)
    const refused: string[] = []
    const server = filteringProxy({
      allowed: [allowedEndpoint()],
      upstream: { url: null, noProxy: [] },
      onRefused: (target) => refused.push(target),
      ...options,
    })
    await new Promise<void>((resolve) => server.listen(path, resolve))
    return { path, refused, close: () => server.close() }
  }

  /** Sends raw bytes over the socket, reads until the proxy closes or `until` appears. */
  function exchange(path: string, bytes: string, until?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let received = ''
      const socket = net.connect(path, () => socket.write(bytes))
      socket.on('data', (chunk) => {
        received += chunk.toString()
        if (until && received.includes(until)) socket.destroy()
      })
      socket.on('close', () => resolve(received))
      socket.on('error', reject)
    })
  }

  test('answers 400 to what is not a proxy request and 431 to a head that never ends', async () => {
    const proxy = await proxyOn()
    expect(await exchange(proxy.path, 'GET /tasks HTTP/1.1\r\nHost: x\r\n\r\n')).toStartWith('HTTP/1.1 400 ')
    expect(await exchange(proxy.path, 'CONNECT nonsense HTTP/1.1\r\n\r\n')).toStartWith('HTTP/1.1 400 ')
    expect(await exchange(proxy.path, `GET http://a/ HTTP/1.1\r\n${'x: y\r\n'.repeat(4000)}`)).toStartWith(
      'HTTP/1.1 431 ',
    )
    expect(proxy.refused).toEqual([])
    proxy.close()
  })

  test('a plain request is sent on in origin form without the proxy headers; its connection stays with that host', async () => {
    const proxy = await proxyOn()
    const answer = await exchange(
      proxy.path,
      `GET http://localhost:${allowed.port}/v1/messages?beta=true HTTP/1.1\r\nHost: localhost:${allowed.port}\r\nProxy-Authorization: Basic eDp5\r\nConnection: close\r\n\r\n`,
    )
    expect(answer).toStartWith('HTTP/1.1 200 ')
    expect(answer).toContain('allowed upstream: /v1/messages')
    const refusedAnswer = await exchange(
      proxy.path,
      `GET http://127.0.0.1:${forbidden.port}/ HTTP/1.1\r\n\r\n`,
    )
    expect(refusedAnswer).toStartWith('HTTP/1.1 403 ')
    expect(proxy.refused).toEqual([`127.0.0.1:${forbidden.port}`])
    expect(forbiddenRequests).toBe(0)
    proxy.close()
  })

  test('tunnels go through the configured upstream proxy unless NO_PROXY exempts the host; refused ones never reach it', async () => {
    upstreamTargets = []
    const via = new URL(`http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`)
    const chained = await proxyOn({ upstream: { url: via, noProxy: [] } })
    const target = `localhost:${allowed.port}`
    const tunnelled = await exchange(
      chained.path,
      `CONNECT ${target} HTTP/1.1\r\n\r\nGET /through-upstream HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`,
    )
    expect(tunnelled).toStartWith('HTTP/1.1 200 Connection Established')
    expect(tunnelled).toContain('allowed upstream: /through-upstream')
    expect(await exchange(chained.path, `CONNECT 127.0.0.1:${forbidden.port} HTTP/1.1\r\n\r\n`)).toStartWith(
      'HTTP/1.1 403 ',
    )
    expect(upstreamTargets).toEqual([target])
    chained.close()

    const exempt = await proxyOn({ upstream: { url: via, noProxy: ['localhost'] } })
    const direct = await exchange(
      exempt.path,
      `CONNECT ${target} HTTP/1.1\r\n\r\nGET /direct HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`,
    )
    expect(direct).toContain('allowed upstream: /direct')
    expect(upstreamTargets).toEqual([target])
    exempt.close()
  })
})

describe('socket directories', () => {
  test('each run has its own, removed when the run ends; those of a server that died are swept at start-up', async () => {
    const root = join(temp.path, 'sweep')
    mkdirSync(root)
    const live = await RunNetwork.open({
      endpoints: [allowedEndpoint()],
      env: {},
      onRefused: () => undefined,
      root,
    })
    expect(readdirSync(live.dir).sort()).toEqual([`port-${allowed.port}.sock`, 'proxy.sock'].sort())
    const gone = Bun.spawn(['true'])
    await gone.exited
    expect(processLiving(gone.pid)).toBe(false)
    const stale = join(root, `openruntime-net-${gone.pid}-${processStartTime(process.pid)}-AbCdEf`)
    mkdirSync(join(stale, 'inner'), { recursive: true })
    const unrelated = join(root, 'openruntime-netting')
    mkdirSync(unrelated)

    expect(sweepStaleRunNetworks(root)).toEqual([stale])
    expect(existsSync(live.dir)).toBe(true)
    expect(existsSync(unrelated)).toBe(true)
    live.close()
    expect(existsSync(live.dir)).toBe(false)
  })
})

function programOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? ''
}

function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
}

/** Pids whose command line contains `text` and that still run. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)
      } catch {
        return false
      }
    })
    .map(Number)
    .filter((pid) => pid !== process.pid && processLiving(pid))
}
