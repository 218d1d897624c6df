import { mkdir } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { AppError } from '../errors.ts'
import { canonicalDirectory } from '../workspaces/paths.ts'
import { copyPaths, ignoredFilesMatching } from './copy-ignored.ts'
import { ensureExcluded } from './exclude.ts'
import { EMPTY_TREE, git, OWN_IDENTITY, resolveCommit } from './exec.ts'
import { isDirectory } from './files.ts'
import { assertTaskId, defaultWorktreePath, taskBranch } from './names.ts'
import { isLinkedWorktreeOf, locateRepo, pruneStaleWorktrees, type RepoInfo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'

export interface ExistingWorktree {
  worktreePath: string
  /** Where the previous run executed; kept when still valid so a resumed session sees the same cwd. */
  executionDir?: string | null
  baseCommit: string | null
}

export interface PrepareWorkspaceInput {
  taskId: string
  workspace: string
  existing?: ExistingWorktree | null
  /** Git-ignored files to carry into a new worktree, e.g. `.env*`. */
  copyIgnoredGlobs?: string[]
}

export interface PreparedWorkspace {
  isolated: boolean
  worktreePath: string | null
  executionDir: string
  baseCommit: string | null
  repoRoot: string | null
  branch: string | null
  note: string
}

/**
 * Gives a task its own checkout: `<repo>/.openruntime/worktrees/<taskId>` on branch
 * `openruntime/<id8>`, started from the workspace's HEAD, or the existing one again on restart.
 * Only a workspace outside any git repository runs unisolated; every other git failure is thrown.
 */
export async function prepareWorkspace(input: PrepareWorkspaceInput): Promise<PreparedWorkspace> {
  assertTaskId(input.taskId)
  const workspace = await canonicalDirectory(input.workspace)
  const repo = await locateRepo(workspace)
  if (!repo) {
    return {
      isolated: false,
      worktreePath: null,
      executionDir: workspace,
      baseCommit: null,
      repoRoot: null,
      branch: null,
      note: `not isolated: ${workspace} is not a git repository, so the task runs directly in it`,
    }
  }
  const subdir = relative(repo.root, workspace)
  const worktreePath = input.existing?.worktreePath ?? defaultWorktreePath(repo.root, input.taskId)
  const reused = await isDirectory(worktreePath)
  const prepared = reused
    ? await describeExisting(repo, workspace, worktreePath, input.existing?.baseCommit)
    : await createWorktree(repo, workspace, worktreePath, input)
  const executionDir = await executionDirFor(worktreePath, subdir, input.existing?.executionDir)
  return { isolated: true, worktreePath, executionDir, repoRoot: repo.root, ...prepared }
}

type Prepared = Pick<PreparedWorkspace, 'baseCommit' | 'branch' | 'note'>

async function createWorktree(
  repo: RepoInfo,
  workspace: string,
  worktreePath: string,
  input: PrepareWorkspaceInput,
): Promise<Prepared> {
  // Listing the ignored files reads only the user's checkout, so it overlaps the worktree checkout.
  const [prepared, carried] = await Promise.all([
    addWorktree(repo, workspace, worktreePath, taskBranch(input.taskId), input.existing?.baseCommit),
    ignoredFilesMatching(repo.root, input.copyIgnoredGlobs ?? []),
  ])
  await copyPaths(repo.root, worktreePath, carried)
  return prepared
}

async function describeExisting(
  repo: RepoInfo,
  workspace: string,
  worktreePath: string,
  knownBase: string | null | undefined,
): Promise<Prepared> {
  if (!(await isLinkedWorktreeOf(repo, worktreePath))) {
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `${worktreePath} exists but is not a worktree of ${repo.root}; move it away or clean the task up`,
    )
  }
  const branch = (await git(worktreePath, ['symbolic-ref', '-q', '--short', 'HEAD'])).trim() || null
  const baseCommit = knownBase !== undefined ? knownBase : await forkPoint(workspace, 'HEAD', worktreePath)
  return { baseCommit, branch, note: `isolated: reusing worktree ${worktreePath}` }
}

async function addWorktree(
  repo: RepoInfo,
  workspace: string,
  worktreePath: string,
  branch: string,
  knownBase: string | null | undefined,
): Promise<Prepared> {
  return withRepoLock(repo.commonDir, async () => {
    // A task's first worktree has no branch yet. Looking it up would be a silent git command, which
    // simple-git answers 50 ms late; `worktree add -b` refuses an existing branch anyway.
    const firstRun = knownBase === undefined
    // Nothing here depends on anything else here, so the reads and the readying run at once.
    const [head, branchTip] = await Promise.all([
      resolveCommit(workspace, 'HEAD'),
      firstRun ? null : resolveCommit(repo.root, `refs/heads/${branch}`),
      ensureExcluded(repo.commonDir),
      mkdir(dirname(worktreePath), { recursive: true }),
    ])
    if (branchTip)
      return recreateFromBranch(repo, workspace, worktreePath, branch, head, branchTip, knownBase)
    if (head) {
      try {
        await addOnNewBranch(repo.root, worktreePath, branch, head)
      } catch (error) {
        const tip = firstRun && (await resolveCommit(repo.root, `refs/heads/${branch}`))
        if (!tip) throw error
        return recreateFromBranch(repo, workspace, worktreePath, branch, head, tip, knownBase)
      }
      return {
        baseCommit: knownBase !== undefined ? knownBase : head,
        branch,
        note: `isolated in worktree ${worktreePath} on branch ${branch}`,
      }
    }
    // git 2.39 cannot add a worktree in a repository without commits (no --orphan yet). The task
    // branch gets an empty root commit of its own; the user's branch and HEAD stay untouched.
    const emptyBase = (
      await git(repo.root, [...OWN_IDENTITY, 'commit-tree', EMPTY_TREE, '-m', 'openRuntime: empty base'])
    ).trim()
    await addOnNewBranch(repo.root, worktreePath, branch, emptyBase)
    return {
      baseCommit: emptyBase,
      branch,
      note: `isolated in worktree ${worktreePath} on branch ${branch}; the repository has no commits yet, so the task starts from an empty tree`,
    }
  })
}

/** The task's branch outlived its worktree (removed by hand, or a cleanup before a restart): check it out again. */
async function recreateFromBranch(
  repo: RepoInfo,
  workspace: string,
  worktreePath: string,
  branch: string,
  head: string | null,
  branchTip: string,
  knownBase: string | null | undefined,
): Promise<Prepared> {
  const [baseCommit] = await Promise.all([
    knownBase !== undefined ? knownBase : mergeBase(workspace, head, branchTip),
    pruneStaleWorktrees(repo.root),
  ])
  await git(repo.root, ['worktree', 'add', worktreePath, branch])
  return { baseCommit, branch, note: `isolated: re-created worktree ${worktreePath} from branch ${branch}` }
}

/**
 * `worktree add -b`, with `--force` standing in for a prune: for a branch that does not exist yet,
 * the only safeguard it lifts is the refusal of a path still registered to a worktree deleted
 * behind git's back (a locked one is still refused), and git then skips reading the HEAD of every
 * other worktree to see whether the new branch is checked out there.
 */
async function addOnNewBranch(root: string, worktreePath: string, branch: string, start: string) {
  await git(root, ['worktree', 'add', '--force', '-b', branch, worktreePath, start])
}

/** Where the task's line of work left the workspace's history; null when they share none. */
async function forkPoint(workspace: string, rev: string, revCwd: string): Promise<string | null> {
  const [head, tip] = await Promise.all([resolveCommit(workspace, 'HEAD'), resolveCommit(revCwd, rev)])
  return mergeBase(workspace, head, tip)
}

async function mergeBase(cwd: string, a: string | null, b: string | null): Promise<string | null> {
  if (!a || !b) return null
  return (await git(cwd, ['merge-base', a, b])).trim() || null
}

async function executionDirFor(
  worktreePath: string,
  subdir: string,
  previous?: string | null,
): Promise<string> {
  if (previous?.startsWith(worktreePath + sep) && (await isDirectory(previous))) return previous
  const dir = join(worktreePath, subdir)
  // The subdirectory may be untracked or empty in HEAD; the runner must still be able to start in it.
  await mkdir(dir, { recursive: true })
  return dir
}
