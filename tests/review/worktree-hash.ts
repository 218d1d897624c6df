import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Every entry under `root` (files by SHA-256 and mode, links by target, folders by name), so two
 * states compare byte for byte, untracked and ignored files included.
 */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const key = rel ? `${rel}/${name}` : name
      const info = lstatSync(path)
      if (info.isSymbolicLink()) out[key] = `link ${readlinkSync(path)}`
      else if (info.isDirectory()) {
        out[key] = 'dir'
        walk(path, key)
      } else
        out[key] =
          `${(info.mode & 0o7777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
    }
  }
  walk(root, '')
  return out
}
