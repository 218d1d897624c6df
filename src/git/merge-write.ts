import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { git } from './exec.ts'
import type { Change } from './merge-guard.ts'

/** Pathspec files (NUL-separated, read literally) for every changed path, the pre-existing ones and the new ones. */
export interface WritePlan {
  all: string
  existing: string | null
  created: { list: string; paths: string[] } | null
}

/** Which parts of the target checkout a write touches. */
export interface Where {
  staged: boolean
  worktree: boolean
}

export async function writePlan(scratch: string, changes: Change[]): Promise<WritePlan> {
  const list = async (name: string, paths: string[]) => {
    const file = join(scratch, name)
    await writeFile(file, paths.join('\0'))
    return file
  }
  const created = changes.filter((change) => change.created).map((change) => change.path)
  const existing = changes.filter((change) => !change.created).map((change) => change.path)
  const [all, existingList, createdList] = await Promise.all([
    list(
      'all',
      changes.map((change) => change.path),
    ),
    existing.length > 0 ? list('existing', existing) : null,
    created.length > 0 ? list('created', created) : null,
  ])
  return { all, existing: existingList, created: createdList ? { list: createdList, paths: created } : null }
}

const restore = (root: string, from: string, where: Where, pathspec: string) =>
  git(root, [
    '--literal-pathspecs',
    'restore',
    `--source=${from}`,
    ...(where.staged ? ['--staged'] : []),
    ...(where.worktree ? ['--worktree'] : []),
    `--pathspec-from-file=${pathspec}`,
    '--pathspec-file-nul',
  ])

/**
 * Writes the merged versions of exactly the changed paths. Those paths were verified clean, so on
 * an unexpected failure restoring the pre-existing ones from the target's own tree, and removing
 * the files the merge created, puts the checkout back as it was.
 */
export async function writeOrRollBack(
  root: string,
  where: Where,
  source: string,
  oursTree: string,
  plan: WritePlan,
  then?: () => Promise<void>,
): Promise<void> {
  try {
    await restore(root, source, where, plan.all)
    await then?.()
  } catch (error) {
    await putBack(root, oursTree, plan, where).catch(() => {})
    throw error
  }
}

/** Puts the plan's paths back as they are in `oursTree`: pre-existing ones restored, new ones removed. */
export async function putBack(root: string, oursTree: string, plan: WritePlan, where: Where): Promise<void> {
  if (plan.existing) await restore(root, oursTree, where, plan.existing)
  if (!plan.created) return
  if (where.staged) {
    await git(root, [
      '--literal-pathspecs',
      'rm',
      '-q',
      '--cached',
      '--ignore-unmatch',
      `--pathspec-from-file=${plan.created.list}`,
      '--pathspec-file-nul',
    ])
  }
  if (where.worktree)
    await Promise.all(plan.created.paths.map((path) => rm(join(root, path), { force: true })))
}
