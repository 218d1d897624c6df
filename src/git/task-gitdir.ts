import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { TaskCheckout } from './checkout.ts'
import { git } from './exec.ts'

/**
 * Gives a task a git directory of its own, written by hand (no git template, no hook, nothing of
 * the user's `init.templateDir`): HEAD on the task branch at `commit`, the user's objects borrowed
 * read-only through `objects/info/alternates`, refs and index its own. Inside the sandbox it is
 * mounted read-only unless the policy allows git writes, so a run without them cannot create a
 * commit, a ref or an object however it spells the command; with them, its commits stay here
 * until the server fetches the branch into the user's repository (importTaskBranch).
 */
export async function writeTaskGitDir(checkout: TaskCheckout, commit: string): Promise<void> {
  const { gitDir, branch, repo } = checkout
  await rm(gitDir, { recursive: true, force: true })
  await Promise.all([
    mkdir(join(gitDir, 'objects', 'info'), { recursive: true }),
    mkdir(join(gitDir, 'objects', 'pack'), { recursive: true }),
    mkdir(join(gitDir, 'refs', 'heads', branch, '..'), { recursive: true }),
    mkdir(join(gitDir, 'refs', 'tags'), { recursive: true }),
  ])
  await Promise.all([
    writeFile(join(gitDir, 'HEAD'), `ref: refs/heads/${branch}\n`),
    writeFile(join(gitDir, 'refs', 'heads', branch), `${commit}\n`),
    writeFile(join(gitDir, 'objects', 'info', 'alternates'), `${join(repo.commonDir, 'objects')}\n`),
    writeFile(
      join(gitDir, 'config'),
      '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n',
    ),
  ])
}

/**
 * Points the worktree at its git directory. The old entry is unlinked rather than written through,
 * so a `.git` a run turned into a symlink cannot redirect the write.
 */
export async function writeGitFile(checkout: TaskCheckout): Promise<void> {
  const path = join(checkout.worktree, '.git')
  await rm(path, { recursive: true, force: true })
  await writeFile(path, `gitdir: ${checkout.gitDir}\n`, { flag: 'wx' })
}

/**
 * Checks the commit's files out into the worktree and records them in the task's index, then keeps
 * a copy of that index as the server's own (trusted: no run has touched anything yet).
 */
export async function checkOutTaskFiles(checkout: TaskCheckout, commit: string): Promise<void> {
  await git(checkout.gitDir, ['read-tree', '-u', '--reset', commit], {
    gitDir: checkout.gitDir,
    workTree: checkout.worktree,
  })
  await mkdir(join(checkout.hostIndex, '..'), { recursive: true })
  await writeFile(checkout.hostIndex, await readFile(join(checkout.gitDir, 'index')))
}

/**
 * Removes everything of a task's checkout from disk: worktree, git directory, the server's index
 * (and scratch copies a crash left), and an older openRuntime's worktree registration. Nothing is
 * followed through a symlink. Callers archive first.
 */
export async function removeTaskCheckout(checkout: TaskCheckout): Promise<void> {
  const host = dirname(checkout.hostIndex)
  const indexName = basename(checkout.hostIndex)
  const leftovers = (await readdir(host).catch(() => [] as string[])).filter(
    (name) => name === indexName || name.startsWith(`${indexName}.`),
  )
  await Promise.all([
    rm(checkout.worktree, { recursive: true, force: true }),
    rm(checkout.gitDir, { recursive: true, force: true }),
    ...leftovers.map((name) => rm(join(host, name), { force: true })),
    forgetLinkedWorktree(checkout),
  ])
}

/** Drops the registration of a linked worktree in the user's `.git/worktrees/`, if it names exactly this one. */
export async function forgetLinkedWorktree(checkout: TaskCheckout): Promise<void> {
  const admin = join(checkout.repo.commonDir, 'worktrees', checkout.taskId)
  const pointer = await readFile(join(admin, 'gitdir'), 'utf8').catch(() => null)
  if (pointer?.trim() === join(checkout.worktree, '.git')) await rm(admin, { recursive: true, force: true })
}
