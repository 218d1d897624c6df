/**
 * Test networks: a network namespace joined to this one by a veth pair on a private /30 of
 * 10.200.0.0/16 (test-only addresses; nothing routes them anywhere). A process run with `exec`
 * reaches this side's address only; `cut` takes the link down on the namespace's side (a
 * partition: this side, and the servers listening on its address, stay reachable from here), `mend`
 * brings it back. Every namespace made is removed when the test process exits, however it exits
 * short of SIGKILL, and one a killed test process left behind is removed by the next.
 */

const PREFIX = 'ort-t'
const made = new Set<string>()

function ip(...args: string[]): string {
  const result = Bun.spawnSync(['ip', ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0)
    throw new Error(`ip ${args.join(' ')} failed: ${result.stderr.toString().trim() || result.exitCode}`)
  return result.stdout.toString()
}

function removeNamespace(name: string): void {
  // Its end of the veth goes with it, and the pair with that end.
  Bun.spawnSync(['ip', 'netns', 'del', name], { stdout: 'ignore', stderr: 'ignore' })
  made.delete(name)
}

process.on('exit', () => {
  for (const name of [...made]) removeNamespace(name)
})

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Namespaces of test processes that are gone (killed before they could clean up). */
function removeAbandoned(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const name = line.split(' ')[0] ?? ''
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]
    if (pid !== undefined && !processAlive(Number(pid))) removeNamespace(name)
  }
}

/** Why this machine cannot make test networks (to skip saying so), or null when it can. */
export function networkNamespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'making network namespaces and veth pairs needs root'
  if (Bun.which('ip') === null) return 'iproute2 (the ip command) is not installed'
  const probe = `${PREFIX}${process.pid}-probe`
  try {
    ip('netns', 'add', probe)
    ip('-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1')
  } catch (error) {
    return `this host does not allow it: ${(error as Error).message}`
  } finally {
    removeNamespace(probe)
  }
  return null
}

export interface TestNetwork {
  name: string
  /** This side's address: where servers the namespace must reach listen. */
  hostAddress: string
  /** The namespace's own address. */
  namespaceAddress: string
  /** Runs a command inside the namespace (ip execs it: the pid stays the command's own). */
  exec: string[]
  cut(): void
  mend(): void
  remove(): void
}

/** A /30 of 10.200.0.0/16 no interface here uses yet. */
function freeSubnet(): number {
  const used = ip('-o', '-4', 'addr', 'show')
  for (let offset = 0; offset < 16_384; offset++) {
    const subnet = (process.pid + offset * 7) % 16_384
    const third = Math.floor(subnet / 64)
    const fourth = (subnet % 64) * 4
    if (!used.includes(`10.200.${third}.${fourth + 1}/`)) return subnet
  }
  throw new Error('no free /30 in 10.200.0.0/16')
}

let count = 0

export function createTestNetwork(): TestNetwork {
  removeAbandoned()
  const index = count++
  const name = `${PREFIX}${process.pid}-${index}`
  const outside = `ort${process.pid % 100_000}x${index}`
  const inside = `ort${process.pid % 100_000}y${index}`
  const subnet = freeSubnet()
  const base = `10.200.${Math.floor(subnet / 64)}.${(subnet % 64) * 4}`
  const hostAddress = base.replace(/\d+$/, (last) => String(Number(last) + 1))
  const namespaceAddress = base.replace(/\d+$/, (last) => String(Number(last) + 2))
  made.add(name)
  try {
    ip('netns', 'add', name)
    ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', name)
    ip('addr', 'add', `${hostAddress}/30`, 'dev', outside)
    ip('link', 'set', outside, 'up')
    ip('-n', name, 'addr', 'add', `${namespaceAddress}/30`, 'dev', inside)
    ip('-n', name, 'link', 'set', inside, 'up')
    ip('-n', name, 'link', 'set', 'lo', 'up')
  } catch (error) {
    removeNamespace(name)
    Bun.spawnSync(['ip', 'link', 'del', outside], { stdout: 'ignore', stderr: 'ignore' })
    throw error
  }
  return {
    name,
    hostAddress,
    namespaceAddress,
    exec: ['ip', 'netns', 'exec', name],
    cut: () => void ip('-n', name, 'link', 'set', inside, 'down'),
    mend: () => void ip('-n', name, 'link', 'set', inside, 'up'),
    remove: () => removeNamespace(name),
  }
}
