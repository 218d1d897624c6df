import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { git } from './exec.ts'
import type { Change } from './merge-guard.ts'

/** Pathspec files (NUL-separated, read literally) for every changed path and for the pre-existing ones. */
export interface WritePlan {
  all: string
  existing: string | null
  created: string[]
}

export async function writePlan(scratch: string, changes: Change[]): Promise<WritePlan> {
  const all = join(scratch, 'all')
  await writeFile(all, changes.map((change) => change.path).join('\0'))
  const kept = changes.filter((change) => !change.created).map((change) => change.path)
  const existing = kept.length > 0 ? join(scratch, 'existing') : null
  if (existing) await writeFile(existing, kept.join('\0'))
  return { all, existing, created: changes.filter((change) => change.created).map((change) => change.path) }
}

/**
 * Writes the merged versions of exactly the changed paths. Those paths were verified clean, so on
 * an unexpected failure restoring the pre-existing ones from the target's own tree, and removing
 * the files the merge created, puts the checkout back as it was.
 */
export async function writeOrRollBack(
  root: string,
  targets: string[],
  source: string,
  oursTree: string,
  plan: WritePlan,
  then?: () => Promise<void>,
): Promise<void> {
  const restore = (from: string, pathspec: string) =>
    git(
      root,
      [
        '--literal-pathspecs',
        'restore',
        `--source=${from}`,
        ...targets,
        `--pathspec-from-file=${pathspec}`,
        '--pathspec-file-nul',
      ],
      { noHooks: true },
    )
  try {
    await restore(source, plan.all)
    await then?.()
  } catch (error) {
    if (plan.existing) await restore(oursTree, plan.existing).catch(() => {})
    if (plan.created.length > 0 && targets.includes('--staged')) {
      await git(root, [
        '--literal-pathspecs',
        'rm',
        '-q',
        '--cached',
        '--ignore-unmatch',
        '--',
        ...plan.created,
      ]).catch(() => {})
    }
    await Promise.all(plan.created.map((path) => rm(join(root, path), { force: true })))
    throw error
  }
}
