import { dirname, sep } from 'node:path'
import { AppError } from '../errors.ts'

/** What a workspace must not expose: the user's home and the server's own data directory. */
export interface HostPaths {
  home: string
  dataDir: string
}

// Folders whose whole subtree belongs to the system: no workspace anywhere inside them.
const SYSTEM_TREES = [
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/etc',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/run',
  '/snap',
  '/var/lib',
  '/var/log',
  '/var/cache',
  '/var/spool',
  '/var/run',
]
// Folders that hold everybody's things: refused themselves, fine for a project folder inside.
const SHARED_ROOTS = ['/', '/var', '/tmp', '/var/tmp', '/opt', '/srv', '/mnt', '/media', '/home', '/root']

const within = (path: string, dir: string) => path === dir || path.startsWith(dir === '/' ? '/' : dir + sep)

function ancestorsOf(path: string): string[] {
  const chain: string[] = []
  for (let dir = path; ; dir = dirname(dir)) {
    chain.push(dir)
    if (dir === dirname(dir)) return chain
  }
}

/**
 * Why a canonical directory would expose the host as a workspace, or null when it is fine. A task
 * in a folder outside git runs in it directly, with it writable inside the sandbox, so `/`, the
 * home directory, anything holding the home or the server's data directory, system folders and
 * openRuntime's own task checkouts are never workspaces.
 */
export function exposureOf(path: string, host: HostPaths): string | null {
  if (SHARED_ROOTS.includes(path)) return `${path} holds files of the whole system`
  if (SYSTEM_TREES.some((tree) => within(path, tree))) return `${path} is a system folder`
  if (ancestorsOf(host.home).includes(path)) {
    return path === host.home ? `${path} is your home directory` : `${path} contains your home directory`
  }
  if (within(path, host.dataDir)) return `${path} is inside openRuntime's data directory`
  if (ancestorsOf(host.dataDir).includes(path))
    return `${path} contains openRuntime's data directory (${host.dataDir})`
  if (path.split(sep).includes('.openruntime')) return `${path} is inside openRuntime's task checkouts`
  return null
}

export function assertSafeWorkspace(path: string, host: HostPaths): void {
  const why = exposureOf(path, host)
  if (why !== null) {
    throw new AppError(
      'invalid',
      'workspace_not_allowed',
      `${why}; a task there could change or read far more than one project. Choose the project's own folder.`,
      { path },
    )
  }
}
