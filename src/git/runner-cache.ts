import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { AppError } from '../errors.ts'
import { git, OWN_IDENTITY } from './exec.ts'

/**
 * A runner host's side of a workspace repository: a bare cache per repository, fetched from the
 * control plane's git endpoint; each attempt's worktree is plain files checked out of it with an
 * index of the host's own (no `.git` in the worktree at all), and its snapshot commit is pushed
 * back into the attempt's ref namespace. The worktree is only ever read as files by git (its
 * configuration, hooks and `.git` files mean nothing here), exactly as on the control plane.
 */
export interface RemoteRepository {
  /** `http(s)://control-plane/git/<name>.git` */
  url: string
  /** The runner token's Authorization header value; given to git per call, never written to a file. */
  authorization: string
}

export interface AttemptCheckout {
  cache: string
  worktree: string
  /** The host's index for the worktree, outside it. */
  index: string
}

// The endpoint is http(s) only; protocol v0 so a commit may be wanted by id (see http-backend.ts).
const transport = (remote: RemoteRepository) => [
  `http.extraHeader=Authorization: ${remote.authorization}`,
  'protocol.http.allow=always',
  'protocol.https.allow=always',
  'protocol.version=0',
]

const COMMIT = /^[0-9a-f]{40}$/

/** The cache work under way, per cache: a host's attempts of one repository take turns with it. */
const cacheTurns = new Map<string, Promise<void>>()

/**
 * Makes the cache when missing and fetches the commit into it (nothing when it has it already).
 * Two attempts of one repository starting together would otherwise race: one seeing the cache's
 * folder before `git init` made it a repository.
 */
export function fetchBase(cache: string, remote: RemoteRepository, commit: string): Promise<void> {
  if (!COMMIT.test(commit))
    return Promise.reject(new AppError('invalid', 'base_commit_invalid', 'the base commit is no commit id'))
  const turn = (cacheTurns.get(cache) ?? Promise.resolve()).then(() => fetchInto(cache, remote, commit))
  const settled = turn.catch(() => undefined)
  cacheTurns.set(cache, settled)
  void settled.then(() => {
    if (cacheTurns.get(cache) === settled) cacheTurns.delete(cache)
  })
  return turn
}

async function fetchInto(cache: string, remote: RemoteRepository, commit: string): Promise<void> {
  if (!existsSync(cache)) {
    await mkdir(dirname(cache), { recursive: true })
    await git(dirname(cache), ['init', '--bare', '--quiet', cache])
  }
  const has = await git(cache, ['cat-file', '-t', commit], { gitDir: cache }).then(
    (type) => type.trim() === 'commit',
    () => false,
  )
  if (has) return
  await git(cache, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote.url, commit], {
    gitDir: cache,
    config: transport(remote),
  })
}

/** The attempt's worktree: the base commit's files, checked out with the host's own index. */
export async function checkOut(checkout: AttemptCheckout, commit: string): Promise<void> {
  await mkdir(checkout.worktree, { recursive: true })
  await mkdir(dirname(checkout.index), { recursive: true })
  const options = { gitDir: checkout.cache, workTree: checkout.worktree, indexFile: checkout.index }
  await git(checkout.worktree, ['read-tree', commit], options)
  await git(checkout.worktree, ['checkout-index', '--all', '--force'], options)
}

export interface Snapshot {
  commit: string
  tree: string
  has_changes: boolean
  stat: string
}

/** The tree of everything the worktree holds now (untracked files included, ignored ones not), through the host's index. */
export async function worktreeTree(checkout: AttemptCheckout): Promise<string> {
  const options = { gitDir: checkout.cache, workTree: checkout.worktree, indexFile: checkout.index }
  await git(checkout.worktree, ['add', '--all'], options)
  return (await git(checkout.worktree, ['write-tree'], options)).trim()
}

/** A commit of `tree` (the worktree's, see worktreeTree) on top of the base commit, in the cache. */
export async function snapshotCommit(
  checkout: AttemptCheckout,
  base: string,
  tree: string,
  message: string,
): Promise<Snapshot> {
  const inCache = { gitDir: checkout.cache }
  const commit = (
    await git(checkout.cache, [...OWN_IDENTITY, 'commit-tree', tree, '-p', base, '-m', message], inCache)
  ).trim()
  const baseTree = (await git(checkout.cache, ['rev-parse', `${base}^{tree}`], inCache)).trim()
  const stat =
    tree === baseTree
      ? ''
      : (
          await git(
            checkout.cache,
            ['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--stat=200,150', base, commit],
            inCache,
          )
        ).trimEnd()
  return { commit, tree, has_changes: tree !== baseTree, stat }
}

/** Pushes the snapshot to the attempt's own ref on the control plane (replacing an earlier one). */
export async function pushSnapshot(
  cache: string,
  remote: RemoteRepository,
  commit: string,
  ref: string,
): Promise<void> {
  await git(cache, ['push', '--quiet', '--force', '--no-verify', remote.url, `${commit}:${ref}`], {
    gitDir: cache,
    config: transport(remote),
  })
}
