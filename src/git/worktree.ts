import { mkdir, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { AppError } from '../errors.ts'
import { canonicalDirectory } from '../workspaces/paths.ts'
import { gitInRepo, type TaskCheckout, taskCheckout } from './checkout.ts'
import { copyPaths, ignoredFilesMatching } from './copy-ignored.ts'
import { ensureExcluded } from './exclude.ts'
import { EMPTY_TREE, git, OWN_IDENTITY, resolveCommit } from './exec.ts'
import { isDirectory, isPlainFolderWithin, makeParents } from './files.ts'
import { importTaskBranch } from './import.ts'
import { locateRepoWithHead, type RepoInfo } from './repo.ts'
import { withRepoLock } from './repo-lock.ts'
import { checkOutTaskFiles, forgetLinkedWorktree, writeGitFile, writeTaskGitDir } from './task-gitdir.ts'

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

/** Where a run executes. */
export interface PreparedWorkspace {
  isolated: boolean
  worktreePath: string | null
  executionDir: string
  baseCommit: string | null
  /** The repository the worktree belongs to; null when not isolated. */
  repoRoot: string | null
  branch: string | null
  /**
   * The task's own git directory (index, HEAD, refs; the user's objects borrowed read-only, see
   * task-gitdir.ts); null when not isolated. The sandbox makes it writable only when the policy
   * allows git writes.
   */
  gitDir: string | null
  /** The user's object store the task's git directory borrows from (read-only inside the sandbox); null when not isolated. */
  sharedObjects: string | null
  /** A human sentence for the timeline ("Isolated in worktree …", "not isolated: …"). */
  note: string
}

/**
 * Gives a task its own checkout: `<repo>/.openruntime/worktrees/<taskId>` with a git directory of
 * its own on branch `openruntime/<id8>`, started from the workspace's HEAD, or the existing one
 * again on restart. Only a workspace outside any git repository runs unisolated; every other git
 * failure is thrown.
 */
export async function prepareWorkspace(input: PrepareWorkspaceInput): Promise<PreparedWorkspace> {
  const workspace = await canonicalDirectory(input.workspace)
  const found = await locateRepoWithHead(workspace)
  if (!found) {
    return {
      isolated: false,
      worktreePath: null,
      executionDir: workspace,
      baseCommit: null,
      repoRoot: null,
      branch: null,
      gitDir: null,
      sharedObjects: null,
      note: `not isolated: ${workspace} is not a git repository, so the task runs directly in it`,
    }
  }
  const { head, ...repo } = found
  const checkout = taskCheckout(repo, input.taskId)
  if (input.existing && input.existing.worktreePath !== checkout.worktree) {
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `the task's worktree is recorded at ${input.existing.worktreePath}, not at ${checkout.worktree} where openRuntime keeps it`,
    )
  }
  const prepared = (await isDirectory(checkout.worktree))
    ? await reuseWorktree(checkout, head, input.existing?.baseCommit)
    : await createWorktree(checkout, head, input)
  const executionDir = await executionDirFor(
    checkout.worktree,
    relative(repo.root, workspace),
    input.existing?.executionDir,
  )
  return {
    isolated: true,
    worktreePath: checkout.worktree,
    executionDir,
    repoRoot: repo.root,
    branch: checkout.branch,
    gitDir: checkout.gitDir,
    sharedObjects: join(repo.commonDir, 'objects'),
    ...prepared,
  }
}

type Prepared = Pick<PreparedWorkspace, 'baseCommit' | 'note'>

async function createWorktree(
  checkout: TaskCheckout,
  head: string | null,
  input: PrepareWorkspaceInput,
): Promise<Prepared> {
  const { repo } = checkout
  // The worktree went (removed by hand, or a cleanup before a restart) but its git directory may
  // still hold commits: they become the branch the new checkout starts from. One the run broke
  // has nothing to give.
  await importTaskBranch(checkout).catch(() => null)
  // Listing the ignored files reads only the user's checkout, so it overlaps the checkout below.
  const [prepared, carried] = await Promise.all([
    withRepoLock(repo.commonDir, () => startTaskBranch(checkout, head, input.existing?.baseCommit)),
    ignoredFilesMatching(repo.root, input.copyIgnoredGlobs ?? []),
  ])
  await copyPaths(repo.root, checkout.worktree, carried)
  return prepared
}

/**
 * The task branch in the user's repository (created at the workspace's HEAD, or an existing one
 * kept: a restart after the worktree was removed, a leftover of an older database), then the
 * task's git directory and files from its tip.
 */
async function startTaskBranch(
  checkout: TaskCheckout,
  head: string | null,
  knownBase: string | null | undefined,
): Promise<Prepared> {
  const { repo, branch, worktree } = checkout
  const branchRef = `refs/heads/${branch}`
  // A task's first run finds no branch of its own: it is created at once (create-only), and only
  // when that is refused (a leftover of an older database) is the existing one looked up. A
  // repository without commits gets an empty root commit; the user's branch and HEAD stay as they are.
  const firstRun = knownBase === undefined
  const [start] = await Promise.all([
    head ??
      gitInRepo(repo, [...OWN_IDENTITY, 'commit-tree', EMPTY_TREE, '-m', 'openRuntime: empty base']).then(
        (out) => out.trim(),
      ),
    ensureExcluded(repo.commonDir),
    mkdir(worktree, { recursive: true }),
  ])
  const isolatedNote = `isolated in worktree ${worktree} on branch ${branch}${head ? '' : '; the repository has no commits yet, so the task starts from an empty tree'}`
  if (firstRun) {
    // The branch is made while the files are checked out from the same commit: each is a git
    // process of its own. Only a branch that already exists (refused) makes the checkout go again.
    const [created] = await Promise.all([
      gitInRepo(repo, ['update-ref', branchRef, start, '']).then(
        () => true,
        () => false,
      ),
      checkOutTask(checkout, start),
    ])
    if (created) return { baseCommit: start, note: isolatedNote }
  }
  const branchTip = await resolveCommit(repo.commonDir, branchRef, { gitDir: repo.commonDir })
  if (!branchTip) await gitInRepo(repo, ['update-ref', branchRef, start, ''])
  const tip = branchTip ?? start
  if (!firstRun || tip !== start) {
    // Nothing but the checkout above is in the new worktree yet: it starts again from the branch.
    if (firstRun) await rm(worktree, { recursive: true, force: true }).then(() => mkdir(worktree))
    await checkOutTask(checkout, tip)
  }
  const note = branchTip ? `isolated: re-created worktree ${worktree} from branch ${branch}` : isolatedNote
  const baseCommit = !firstRun ? knownBase : branchTip ? await mergeBase(repo, head, branchTip) : start
  return { baseCommit, note }
}

/** The task's git directory at `commit`, and its files checked out into the worktree. */
async function checkOutTask(checkout: TaskCheckout, commit: string): Promise<void> {
  await writeTaskGitDir(checkout, commit)
  await Promise.all([writeGitFile(checkout), checkOutTaskFiles(checkout, commit)])
}

/**
 * The worktree is still there (a restart or follow-up). Its `.git` is written again whatever it
 * says now, and a worktree made by an older openRuntime (a linked worktree of the user's
 * repository, its metadata in `.git/worktrees/<id>`) gets a git directory of its own.
 */
async function reuseWorktree(
  checkout: TaskCheckout,
  head: string | null,
  knownBase: string | null | undefined,
): Promise<Prepared> {
  const { repo, branch, worktree } = checkout
  let note = `isolated: reusing worktree ${worktree}`
  if (!(await isDirectory(checkout.gitDir))) {
    await withRepoLock(repo.commonDir, () => adoptLegacyWorktree(checkout))
    note += ' (given a git directory of its own)'
  }
  await writeGitFile(checkout)
  const baseCommit =
    knownBase !== undefined
      ? knownBase
      : await mergeBase(
          repo,
          head,
          await resolveCommit(repo.commonDir, `refs/heads/${branch}`, { gitDir: repo.commonDir }),
        )
  return { baseCommit, note }
}

async function adoptLegacyWorktree(checkout: TaskCheckout): Promise<void> {
  const { repo, branch, worktree, gitDir } = checkout
  const tip = await resolveCommit(repo.commonDir, `refs/heads/${branch}`, { gitDir: repo.commonDir })
  if (!tip) {
    throw new AppError(
      'precondition',
      'worktree_invalid',
      `${worktree} exists but openRuntime has neither its git directory nor its branch ${branch}; move it away or clean the task up`,
    )
  }
  await writeTaskGitDir(checkout, tip)
  // The files stay as the run left them: only the index is built, and refreshed so unchanged files
  // read as unchanged inside the next run.
  await git(gitDir, ['read-tree', tip], { gitDir })
  await git(gitDir, ['update-index', '-q', '--refresh'], { gitDir, workTree: worktree }).catch(() => '')
  await forgetLinkedWorktree(checkout)
}

async function mergeBase(repo: RepoInfo, a: string | null, b: string | null): Promise<string | null> {
  if (!a || !b) return null
  return (await gitInRepo(repo, ['merge-base', a, b])).trim() || null
}

/**
 * Where the runner starts: the previous run's folder when it is still a real folder of the
 * worktree, else the workspace's own subfolder (made when untracked or empty in HEAD). A folder a
 * run turned into a symlink leaves the worktree root instead.
 */
async function executionDirFor(
  worktreePath: string,
  subdir: string,
  previous?: string | null,
): Promise<string> {
  if (previous && (await isPlainFolderWithin(worktreePath, previous))) return previous
  return (await makeParents(worktreePath, subdir)) ? join(worktreePath, subdir) : worktreePath
}
