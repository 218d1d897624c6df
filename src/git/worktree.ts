import { mkdir } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { AppError } from '../errors.ts'
import { canonicalDirectory } from '../workspaces/paths.ts'
import { copyIgnoredFiles } from './copy-ignored.ts'
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
    : await addWorktree(repo, workspace, worktreePath, taskBranch(input.taskId), input.existing?.baseCommit)
  if (!reused) await copyIgnoredFiles(repo.root, worktreePath, input.copyIgnoredGlobs ?? [])
  const executionDir = await executionDirFor(worktreePath, subdir, input.existing?.executionDir)
  return { isolated: true, worktreePath, executionDir, repoRoot: repo.root, ...prepared }
}

type Prepared = Pick<PreparedWorkspace, 'baseCommit' | 'branch' | 'note'>

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
  // Reads first and outside the lock: only the writes below need the repository to themselves.
  const [head, branchTip] = await Promise.all([
    resolveCommit(workspace, 'HEAD'),
    resolveCommit(repo.root, `refs/heads/${branch}`),
  ])
  const baseCommit =
    knownBase !== undefined ? knownBase : branchTip ? await forkPoint(workspace, branch, repo.root) : head
  return withRepoLock(repo.commonDir, async () => {
    await ensureExcluded(repo.root)
    await pruneStaleWorktrees(repo.root)
    await mkdir(dirname(worktreePath), { recursive: true })
    if (branchTip) {
      await git(repo.root, ['worktree', 'add', worktreePath, branch])
      return {
        baseCommit,
        branch,
        note: `isolated: re-created worktree ${worktreePath} from branch ${branch}`,
      }
    }
    if (head) {
      await git(repo.root, ['worktree', 'add', '-b', branch, worktreePath, head])
      return { baseCommit, branch, note: `isolated in worktree ${worktreePath} on branch ${branch}` }
    }
    // git 2.39 cannot add a worktree in a repository without commits (no --orphan yet). The task
    // branch gets an empty root commit of its own; the user's branch and HEAD stay untouched.
    const emptyBase = (
      await git(repo.root, [...OWN_IDENTITY, 'commit-tree', EMPTY_TREE, '-m', 'openRuntime: empty base'])
    ).trim()
    await git(repo.root, ['worktree', 'add', '-b', branch, worktreePath, emptyBase])
    return {
      baseCommit: emptyBase,
      branch,
      note: `isolated in worktree ${worktreePath} on branch ${branch}; the repository has no commits yet, so the task starts from an empty tree`,
    }
  })
}

/** Where the task's line of work left the workspace's history; null when they share none. */
async function forkPoint(workspace: string, rev: string, revCwd: string): Promise<string | null> {
  const [head, tip] = await Promise.all([resolveCommit(workspace, 'HEAD'), resolveCommit(revCwd, rev)])
  if (!head || !tip) return null
  return (await git(workspace, ['merge-base', head, tip])).trim() || null
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
