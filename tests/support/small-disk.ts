import { mkdirSync, statfsSync } from 'node:fs'

/**
 * A real, small filesystem (tmpfs) mounted at `path`, so a test can fill it up. Needs the mount
 * privilege (root, as in CI); fails loudly rather than pretending without it.
 */
export function mountSmallDisk(path: string, bytes: number): { free(): number; unmount(): void } {
  mkdirSync(path, { recursive: true })
  const mount = Bun.spawnSync(['mount', '-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', path])
  if (mount.exitCode !== 0) {
    throw new Error(`cannot mount a tmpfs at ${path} (root needed): ${mount.stderr.toString().trim()}`)
  }
  return {
    free: () => {
      const stats = statfsSync(path)
      return stats.bavail * stats.bsize
    },
    unmount: () => void Bun.spawnSync(['umount', '-l', path]),
  }
}
