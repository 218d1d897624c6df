import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Where this server may make cgroups for its runs. A run's group is a child of the server's own
 * group in each hierarchy (so whatever limits the server itself sits under still apply), inside one
 * directory per data directory (`openruntime-<tag>`): only the server holding that data directory's
 * lock ever touches it, so what it finds there at start-up is a crashed predecessor's.
 *
 * cgroup v2 needs the `pids` and `memory` controllers delegated to the server's group's children;
 * v1 needs the `pids` and `memory` hierarchies mounted with the server's group writable.
 */
export type CgroupVersion = 'v1' | 'v2'
export type Controller = 'pids' | 'memory'

/** The parent directory of run groups for one controller. */
export interface CgroupParent {
  version: CgroupVersion
  dir: string
}

export interface CgroupHost {
  pids: CgroupParent | null
  memory: CgroupParent | null
  /** Why a controller has no parent (for the attempt's record). */
  reasons: Record<Controller, string | null>
}

const CONTROLLERS: Controller[] = ['pids', 'memory']

interface Membership {
  hierarchy: string
  controllers: string[]
  path: string
}

interface Mount {
  root: string
  point: string
  fstype: string
  superOptions: string[]
}

/** The cgroups this process belongs to (/proc/self/cgroup: `id:controllers:path`). */
function memberships(): Membership[] {
  return readLines('/proc/self/cgroup').flatMap((line) => {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (!match) return []
    return [
      {
        hierarchy: match[1] as string,
        controllers: (match[2] as string).split(','),
        path: match[3] as string,
      },
    ]
  })
}

/** cgroup mounts from /proc/self/mountinfo (`id parent dev root point opts [tags] - fstype source superopts`). */
function cgroupMounts(): Mount[] {
  return readLines('/proc/self/mountinfo').flatMap((line) => {
    const [before, after] = line.split(' - ')
    if (!before || !after) return []
    const fields = before.split(' ')
    const [fstype, , superOptions = ''] = after.split(' ')
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') return []
    return [
      {
        root: unescapeMount(fields[3] ?? ''),
        point: unescapeMount(fields[4] ?? ''),
        fstype,
        superOptions: superOptions.split(','),
      },
    ]
  })
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
}

/** The directory of `path` (a group, relative to the namespace root) under a mount of its hierarchy. */
function groupDir(mount: Mount, path: string): string | null {
  if (mount.root === '/') return join(mount.point, path)
  if (path !== mount.root && !path.startsWith(`${mount.root}/`)) return null
  return join(mount.point, path.slice(mount.root.length))
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error)
}

/** Makes (or reuses) the server's directory in `own` and checks that the limit files appear in it. */
function prepareParent(own: string, tag: string, limitFiles: string[]): string {
  const dir = join(own, `openruntime-${tag}`)
  mkdirSync(dir, { recursive: true })
  const missing = limitFiles.find((file) => !existsSync(join(dir, file)))
  if (missing) throw new Error(`${missing} is missing in ${dir}: the controller is not enabled there`)
  return dir
}

function discoverV2(tag: string, reasons: Record<Controller, string | null>): CgroupParent | null {
  const unified = memberships().find((m) => m.hierarchy === '0')
  const mount = cgroupMounts().find((m) => m.fstype === 'cgroup2')
  if (!unified || !mount) {
    for (const c of CONTROLLERS) reasons[c] = 'no cgroup v2 hierarchy'
    return null
  }
  const own = groupDir(mount, unified.path)
  const available = readText(join(own ?? '', 'cgroup.controllers')).split(/\s+/)
  const delegated = readText(join(own ?? '', 'cgroup.subtree_control')).split(/\s+/)
  const missing = CONTROLLERS.filter((c) => !available.includes(c) || !delegated.includes(c))
  if (own === null || missing.length > 0) {
    const why = `cgroup v2: the server's group does not delegate ${missing.join(' and ')} to its children`
    for (const c of CONTROLLERS) reasons[c] = why
    return null
  }
  try {
    const dir = prepareParent(own, tag, ['pids.max', 'memory.max'])
    // The server's directory has no processes of its own, so it may pass the controllers on.
    writeFileSync(join(dir, 'cgroup.subtree_control'), '+pids +memory')
    return { version: 'v2', dir }
  } catch (error) {
    for (const c of CONTROLLERS) reasons[c] = `cgroup v2: cannot make groups in ${own} (${errorText(error)})`
    return null
  }
}

function discoverV1(controller: Controller, tag: string): CgroupParent | string {
  const membership = memberships().find((m) => m.hierarchy !== '0' && m.controllers.includes(controller))
  const mount = cgroupMounts().find((m) => m.fstype === 'cgroup' && m.superOptions.includes(controller))
  if (!membership || !mount) return `no cgroup v1 ${controller} hierarchy`
  const own = groupDir(mount, membership.path)
  if (own === null) return `cgroup v1 ${controller}: the server's group is outside the mounted hierarchy`
  const limitFile = controller === 'pids' ? 'pids.max' : 'memory.limit_in_bytes'
  try {
    return { version: 'v1', dir: prepareParent(own, tag, [limitFile]) }
  } catch (error) {
    return `cgroup v1 ${controller}: cannot make groups in ${own} (${errorText(error)})`
  }
}

/** Finds, per controller, where run groups can be made: v2 where it delegates both, else v1. */
export function discoverCgroups(tag: string): CgroupHost {
  const reasons: Record<Controller, string | null> = { pids: null, memory: null }
  if (process.platform !== 'linux') {
    return { pids: null, memory: null, reasons: { pids: 'not Linux', memory: 'not Linux' } }
  }
  const v2 = discoverV2(tag, reasons)
  if (v2) return { pids: v2, memory: v2, reasons: { pids: null, memory: null } }
  const host: CgroupHost = { pids: null, memory: null, reasons }
  for (const controller of CONTROLLERS) {
    const found = discoverV1(controller, tag)
    if (typeof found === 'string') reasons[controller] = `${reasons[controller]}; ${found}`
    else {
      host[controller] = found
      reasons[controller] = null
    }
  }
  return host
}

/** Removes the server's directories once nothing is left in them (shutdown). */
export function removeParents(host: CgroupHost): void {
  for (const parent of new Set([host.pids?.dir, host.memory?.dir])) {
    if (!parent) continue
    try {
      rmdirSync(parent)
    } catch {
      // A run group is still being torn down, or a newer server took over: it is reused next time.
    }
  }
}
