import { lstat, mkdir, rm, rmdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { AppError, conflict } from '../errors.ts'
import { gitInRepo, hostDir, type TaskCheckout } from './checkout.ts'
import { EMPTY_TREE, git, identityFallback, OWN_IDENTITY, resolveCommit } from './exec.ts'
import { importTaskBranch } from './import.ts'
import type { RepoInfo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { snapshotTree, treeOf } from './snapshot.ts'
import { pointTaskBranch } from './task-branch.ts'
import { threeWayTrees } from './three-way.ts'
import { changedEntries, restoreSaved, type SavedEntry, saveEntry, writeEntries } from './tree-files.ts'

export type UpdateMode = 'rebase' | 'merge'

/** How far the target (the user's checkout's HEAD) is from the task's base. */
export interface BaseState {
  target: string | null
  /** The branch the user's checkout is on; null when detached. */
  target_ref: string | null
  /** Commits on the target since the task's base. */
  behind: number
}

/**
 * Everything needed to put the task back exactly as it was before an update, recorded before the
 * first file changes: the worktree's raw files the update touches (copied aside), the task's git
 * directory's HEAD, branch and index, the branch tip in the user's repository, and a commit of
 * the whole worktree (`before`, kept under refs/openruntime/base-update/<task>/before).
 */
export interface BaseUpdatePlan {
  mode: UpdateMode
  oldBase: string | null
  target: string
  oldTip: string
  before: string
  newTip: string
  /** What the worktree holds after the update (conflicted files with git's markers in it). */
  worktreeTree: string
  /** The task's commits could not be replayed one by one: their changes are uncommitted on the target. */
  flattened: boolean
  conflicts: string[]
  /** Where the raw copies are kept (the server's own folder for the task, no run can write it). */
  saved: string
  files: SavedEntry[]
  gitDirFiles: SavedEntry[]
  /** Folders the update creates, removed again by an abort. */
  createdDirs: string[]
}

export const beforeUpdateRef = (taskId: string) => `refs/openruntime/base-update/${taskId}/before`

export async function baseState(repo: RepoInfo, baseCommit: string | null): Promise<BaseState> {
  const target = await resolveCommit(repo.root, 'HEAD')
  const ref = (await git(repo.root, ['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '')).trim()
  if (!target) return { target: null, target_ref: ref || null, behind: 0 }
  const range = baseCommit ? `${baseCommit}..${target}` : target
  const behind = Number((await gitInRepo(repo, ['rev-list', '--count', range])).trim()) || 0
  return { target, target_ref: ref || null, behind }
}

/**
 * Works out an update of the task's branch and worktree to the target, in the object store only,
 * and keeps aside what the update will overwrite. Nothing of the worktree or the task's refs has
 * changed when it returns; `writeBaseUpdate` does that, after the caller recorded the plan.
 */
export async function planBaseUpdate(
  checkout: TaskCheckout,
  oldBase: string | null,
  mode: UpdateMode,
): Promise<BaseUpdatePlan | null> {
  const { repo } = checkout
  const oldTip = await importTaskBranch(checkout)
  if (!oldTip)
    throw new AppError('precondition', 'worktree_missing', `task ${checkout.taskId} has no branch to update`)
  const { target, behind } = await baseState(repo, oldBase)
  if (!target)
    throw new AppError('precondition', 'target_missing', `${repo.root} has no commit to update from`)
  if (behind === 0 || target === oldBase) return null
  const wtTree = await snapshotTree(checkout, oldBase)
  const before = (
    await gitInRepo(repo, [
      ...OWN_IDENTITY,
      'commit-tree',
      wtTree,
      '-p',
      oldTip,
      '-m',
      `openRuntime: the worktree of task ${checkout.taskId} before updating it from ${target.slice(0, 12)}`,
    ])
  ).trim()
  await gitInRepo(repo, ['update-ref', beforeUpdateRef(checkout.taskId), before])
  const branch = await rebuildBranch(repo, mode, oldBase, oldTip, target, checkout.branch)
  const merged = await worktreeAfter(repo, oldBase, oldTip, wtTree, branch)
  const changes = await changedEntries(repo, wtTree, merged.tree)
  const saved = join(hostDir(checkout), `${checkout.taskId}.update`)
  await rm(saved, { recursive: true, force: true })
  await mkdir(saved, { recursive: true })
  const blocked: string[] = []
  const files: SavedEntry[] = []
  const createdDirs = new Set<string>()
  for (const [i, change] of changes.entries()) {
    const entry = await saveEntry(checkout.worktree, change.path, join(saved, `f${i}`))
    if (change.created && entry.kind !== 'absent') blocked.push(change.path)
    files.push(entry)
    if (change.created)
      for (const dir of await missingFolders(checkout.worktree, change.path)) createdDirs.add(dir)
  }
  if (blocked.length > 0) {
    await rm(saved, { recursive: true, force: true })
    throw conflict(
      'update_blocked',
      `files the worktree keeps outside git (ignored) are where the update would create ${blocked.join(', ')}; move them away and update again`,
      { files: blocked },
    )
  }
  const gitDirFiles = await Promise.all(
    ['HEAD', join('refs', 'heads', checkout.branch), 'index'].map((path, i) =>
      saveEntry(checkout.gitDir, path, join(saved, `g${i}`)),
    ),
  )
  return {
    mode,
    oldBase,
    target,
    oldTip,
    before,
    newTip: branch.tip,
    worktreeTree: merged.tree,
    flattened: branch.flattened,
    conflicts: merged.conflicts,
    saved,
    files,
    gitDirFiles,
    createdDirs: [...createdDirs],
  }
}

/** Writes a planned update: the worktree's files, then the task's branch (its git directory and the user's repository). */
export async function writeBaseUpdate(checkout: TaskCheckout, plan: BaseUpdatePlan): Promise<void> {
  const { repo } = checkout
  const beforeTree = await treeOf(repo, plan.before)
  await writeEntries(repo, checkout.worktree, await changedEntries(repo, beforeTree, plan.worktreeTree))
  await pointTaskBranch(checkout, plan.newTip, plan.oldTip)
}

/**
 * Puts the task back exactly as the plan found it: every file the update touched from its raw
 * copy (content, mode, symlink), anything changed since (a resolving attempt's edits) from the
 * `before` commit, the folders it made removed, the task's git directory files and branch as they
 * were. What the worktree held at the abort is kept first under
 * refs/openruntime/base-update/<task>/aborted-<time>, so an agent's resolution is not lost either.
 */
export async function undoBaseUpdate(checkout: TaskCheckout, plan: BaseUpdatePlan): Promise<string | null> {
  const { repo } = checkout
  const [current, beforeTree] = await Promise.all([
    snapshotTree(checkout, plan.target),
    treeOf(repo, plan.before),
  ])
  let kept: string | null = null
  if (current !== beforeTree) {
    const commit = (
      await gitInRepo(repo, [
        ...OWN_IDENTITY,
        'commit-tree',
        current,
        '-p',
        plan.newTip,
        '-m',
        `openRuntime: the worktree of task ${checkout.taskId} when its update from base was aborted`,
      ])
    ).trim()
    kept = `refs/openruntime/base-update/${checkout.taskId}/aborted-${Date.now()}`
    await gitInRepo(repo, ['update-ref', kept, commit])
  }
  const savedPaths = new Set(plan.files.map((entry) => entry.path))
  const since = (await changedEntries(repo, current, beforeTree)).filter(
    (change) => !savedPaths.has(change.path),
  )
  await writeEntries(repo, checkout.worktree, since)
  for (const entry of plan.files) await restoreSaved(checkout.worktree, entry)
  for (const dir of [...plan.createdDirs].sort((a, b) => b.length - a.length))
    await rmdir(join(checkout.worktree, dir)).catch(() => undefined)
  for (const entry of plan.gitDirFiles) await restoreSaved(checkout.gitDir, entry)
  await withRepoLock(repo.commonDir, () =>
    gitInRepo(repo, ['update-ref', `refs/heads/${checkout.branch}`, plan.oldTip]),
  )
  await rm(plan.saved, { recursive: true, force: true })
  return kept
}

/** The update is over (clean, resolved): its raw copies are no longer needed. */
export const forgetBaseUpdate = (plan: BaseUpdatePlan) => rm(plan.saved, { recursive: true, force: true })

const MARKER = /^(<{7} |>{7} )/m

/** Which of the files still hold conflict markers (read as plain files; a missing file holds none). */
export async function filesWithMarkers(checkout: TaskCheckout, files: string[]): Promise<string[]> {
  const marked: string[] = []
  for (const path of files) {
    const text = await Bun.file(join(checkout.worktree, path))
      .text()
      .catch(() => '')
    if (MARKER.test(text)) marked.push(path)
  }
  return marked
}

interface Branch {
  tip: string
  flattened: boolean
}

/**
 * The task's commits on the target: replayed one by one (rebase) or joined by a merge commit
 * (merge). Where git cannot do it without a conflict, the branch starts again at the target and
 * the task's changes come along uncommitted (flattened), conflicts and all.
 */
async function rebuildBranch(
  repo: RepoInfo,
  mode: UpdateMode,
  oldBase: string | null,
  oldTip: string,
  target: string,
  branchName: string,
): Promise<Branch> {
  const range = oldBase ? `${oldBase}..${oldTip}` : oldTip
  const commits = (await gitInRepo(repo, ['rev-list', '--reverse', '--no-merges', range]))
    .split('\n')
    .filter(Boolean)
  if (commits.length === 0) return { tip: target, flattened: false }
  const identity = await identityFallback(repo.root)
  if (mode === 'merge') {
    const out = await gitInRepo(repo, [
      'merge-tree',
      '--write-tree',
      '--name-only',
      '--no-messages',
      '-z',
      oldTip,
      target,
    ])
    const [tree, ...conflicted] = out.split('\0').filter(Boolean)
    if (!tree || conflicted.length > 0) return { tip: target, flattened: true }
    const message = `Merge ${target.slice(0, 12)} into ${branchName}`
    const tip = await gitInRepo(repo, [
      ...identity,
      'commit-tree',
      tree,
      '-p',
      oldTip,
      '-p',
      target,
      '-m',
      message,
    ])
    return { tip: tip.trim(), flattened: false }
  }
  let onto = target
  for (const commit of commits) {
    const parent = await resolveCommit(repo.commonDir, `${commit}^`, { gitDir: repo.commonDir })
    const [ontoTree, commitTree] = await Promise.all([treeOf(repo, onto), treeOf(repo, commit)])
    const picked = await threeWayTrees(
      repo.commonDir,
      parent ? { commit: parent } : { tree: EMPTY_TREE },
      ontoTree,
      commitTree,
      { gitDir: repo.commonDir },
    )
    if (picked.conflicts.length > 0) return { tip: target, flattened: true }
    onto = await replay(repo, identity, commit, picked.tree, onto)
  }
  return { tip: onto, flattened: false }
}

/** A commit like `commit` (its author, date and message) with `tree`, on `parent`. */
async function replay(repo: RepoInfo, identity: string[], commit: string, tree: string, parent: string) {
  const [name, email, date, message] = (
    await gitInRepo(repo, ['log', '-1', '--format=%an%x00%ae%x00%aI%x00%B', commit])
  ).split('\0')
  const env = { GIT_AUTHOR_NAME: name ?? '', GIT_AUTHOR_EMAIL: email ?? '', GIT_AUTHOR_DATE: date ?? '' }
  const out = await gitInRepo(
    repo,
    [...identity, 'commit-tree', tree, '-p', parent, '-m', (message ?? '').trimEnd()],
    {
      env,
    },
  )
  return out.trim()
}

/** The worktree's content on the new branch: its uncommitted part carried over (everything, when flattened). */
async function worktreeAfter(
  repo: RepoInfo,
  oldBase: string | null,
  oldTip: string,
  wtTree: string,
  branch: Branch,
): Promise<{ tree: string; conflicts: string[] }> {
  const [tipTree, newTree] = await Promise.all([treeOf(repo, oldTip), treeOf(repo, branch.tip)])
  if (!branch.flattened && wtTree === tipTree) return { tree: newTree, conflicts: [] }
  const base = branch.flattened ? (oldBase ? { commit: oldBase } : { tree: EMPTY_TREE }) : { commit: oldTip }
  return threeWayTrees(repo.commonDir, base, newTree, wtTree, { gitDir: repo.commonDir })
}

/** Folders of `path` (relative to `root`) that do not exist yet, outermost first. */
async function missingFolders(root: string, path: string): Promise<string[]> {
  const missing: string[] = []
  for (let dir = dirname(path); dir !== '.' && dir !== '/'; dir = dirname(dir)) {
    if ((await lstat(join(root, dir)).catch(() => null)) === null) missing.unshift(dir)
  }
  return missing
}
