import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

let root = join(tmpdir(), 'openruntime-scratch')

/**
 * Where git work keeps its temporary files (pathspec lists, throw-away indexes). The server points
 * it into its own data directory and empties it at start-up, so a crash leaves nothing behind.
 */
export function setScratchRoot(dir: string): void {
  root = dir
}

/** Removes whatever a previous process left in the scratch root. */
export async function clearScratch(): Promise<void> {
  await rm(root, { recursive: true, force: true })
}

export async function withScratch<T>(purpose: string, work: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(root, { recursive: true })
  const dir = await mkdtemp(join(root, `${purpose}-`))
  try {
    return await work(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
