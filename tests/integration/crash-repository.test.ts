import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { processLiving } from '../../src/process/process-group'
import { hashFiles } from '../git/helpers'
import { gitSync, makeRepo } from '../support/git-repo'
import { type ProcessInfo, spinUntil, stoppedGitChild } from '../support/processes'
import { api, runShell, type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

/**
 * Item 6 of the containment issue: kill -9 of the server at several points of a large merge and of
 * a cleanup. After the restart the target is untouched or fully merged, never half-applied; the
 * task's record agrees with the repository and an event says what recovery did; no git process of
 * the dead server lives on and no temporary directory is left behind.
 */

const FILES = 3000
const dir = tempDir()
const dataDir = join(dir.path, 'data')
const env = { OPENRUNTIME_DB: join(dataDir, 'openruntime.sqlite3') }
let server: ServerProcess

afterAll(async () => {
  await server?.kill()
  dir.cleanup()
})

const fileList = () =>
  Object.fromEntries(
    Array.from({ length: FILES }, (_, i) => [`f/${String(i).padStart(4, '0')}.txt`, `file ${i}\n`]),
  )
const CHANGE_ALL = 'for f in f/*.txt; do echo changed >> "$f"; done'

function intentCount(): number {
  const db = new Database(env.OPENRUNTIME_DB, { readonly: true })
  try {
    return (db.prepare('SELECT count(*) AS n FROM task_intents').get() as { n: number }).n
  } finally {
    db.close()
  }
}

/** Kills the server with SIGKILL, checks the git it left cannot outlive it, and starts it again. */
async function crashAndRestart(leftover?: ProcessInfo) {
  await server.kill('SIGKILL')
  if (leftover) {
    await waitFor(`git ${leftover.pid} to die with the server`, () => !processLiving(leftover.pid), 5000)
  }
  server = await spawnServer(env)
}

/** The user's checkout as a merge could leave it: files, index entries, HEAD. */
const targetState = (repo: string) => ({
  files: hashFiles(repo),
  index: gitSync(repo, 'ls-files', '--stage'),
  head: gitSync(repo, 'rev-parse', 'HEAD').trim(),
})

const task = async (id: string) => (await api(server, 'GET', `/tasks/${id}?events=all`)).body

/** After a restart: nothing left over, and the record agrees with the repository. */
async function expectSettled(repo: string, id: string, before: ReturnType<typeof targetState>) {
  expect(intentCount()).toBe(0)
  expect(existsSync(join(dataDir, 'tmp')) ? readdirSync(join(dataDir, 'tmp')) : []).toEqual([])
  expect(gitSync(repo, 'fsck', '--no-progress', '--no-dangling')).toBe('')
  const now = await task(id)
  const after = targetState(repo)
  if (now.worktree_merged_at === null) {
    expect(now.status).toBe('ready-for-review')
    expect(after).toEqual(before)
  } else {
    expect(now.status).toBe('completed')
    expect(after.head).not.toBe(before.head)
    for (const [path] of Object.entries(fileList()))
      expect(readFileSync(join(repo, path), 'utf8')).toEndWith('changed\n')
  }
  return now
}

const recoveries = (t: any) => t.events.filter((e: any) => e.metadata?.recovered)

describe('kill -9 during repository work', () => {
  beforeAll(async () => {
    server = await spawnServer(env)
  })

  test('a merge killed before, during and after its writes is rolled back or completed, never half-applied', async () => {
    const repo = makeRepo(join(dir.path, 'merge'), fileList())
    const id = await runShell(server, repo, CHANGE_ALL)
    const before = targetState(repo)
    const hit: string[] = []

    // 1. As soon as the intent is recorded: nothing or little has been written.
    const first = api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'apply' }).catch(() => null)
    await waitFor('the merge intent', () => intentCount() === 1, 30_000)
    await crashAndRestart()
    void first
    expect(recoveries(await expectSettled(repo, id, before)).length).toBe(1)
    hit.push('intent recorded')

    // 2 and 3. In the middle of writing files, uncommitted and committed.
    for (const strategy of ['apply', 'commit']) {
      const merging = api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy }).catch(() => null)
      // Stopped as soon as it is seen, then let go until its first file is written.
      const restore = stoppedGitChild(server.proc.pid, 'restore')
      process.kill(restore.pid, 'SIGCONT')
      spinUntil('the first merged file', () =>
        readFileSync(join(repo, 'f/0000.txt'), 'utf8').endsWith('changed\n'),
      )
      process.kill(restore.pid, 'SIGSTOP')
      expect(readFileSync(join(repo, 'f/2999.txt'), 'utf8')).toBe('file 2999\n')
      await crashAndRestart(restore)
      void merging
      const settled = await expectSettled(repo, id, before)
      expect(settled.worktree_merged_at).toBeNull()
      expect(recoveries(settled).at(-1).metadata.category).toBe('merge-rolled-back')
      hit.push(`${strategy}: mid-write`)
    }

    // 4. Once HEAD moved to the merge commit: recovery completes it (or the server got there first).
    const committing = api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' }).catch(
      () => null,
    )
    const headFile = join(repo, '.git', 'refs', 'heads', 'main')
    spinUntil('HEAD to move', () => readFileSync(headFile, 'utf8').trim() !== before.head)
    await crashAndRestart()
    void committing
    const final = await expectSettled(repo, id, before)
    hit.push(final.worktree_merged_at ? 'head moved: merged' : 'head moved: rolled back')
    if (!final.worktree_merged_at) {
      expect((await api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' })).status).toBe(
        200,
      )
      await expectSettled(repo, id, before)
    }
    // Merged exactly once, in one commit.
    expect(gitSync(repo, 'rev-list', '--count', `${before.head}..HEAD`).trim()).toBe('1')
    expect(hit.length).toBe(4)
  }, 240_000)

  test('a cleanup killed while snapshotting changes nothing; killed while removing, it is completed from the archive', async () => {
    const repo = makeRepo(join(dir.path, 'cleanup'), fileList())
    const id = await runShell(server, repo, CHANGE_ALL)
    const worktree = (await task(id)).worktree_path as string
    const files = hashFiles(worktree)

    // Before the intent: the snapshot is read-only, so nothing is to undo.
    const snapshotting = api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`).catch(() => null)
    const add = stoppedGitChild(server.proc.pid, 'add')
    await crashAndRestart(add)
    void snapshotting
    expect(intentCount()).toBe(0)
    expect((await task(id)).worktree_cleaned_at).toBeNull()
    expect(hashFiles(worktree)).toEqual(files)
    const diff = await api(server, 'GET', `/tasks/${id}/diff`)
    expect(diff.status).toBe(200)
    expect(diff.body.files.length).toBe(FILES)

    // While the worktree is being deleted: the archive already holds everything.
    const removing = api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`).catch(() => null)
    spinUntil('the worktree to be half removed', () => {
      const left = existsSync(join(worktree, 'f')) ? readdirSync(join(worktree, 'f')).length : 0
      return left < FILES
    })
    process.kill(server.proc.pid, 'SIGSTOP')
    await crashAndRestart()
    void removing
    expect(intentCount()).toBe(0)
    const cleaned = await task(id)
    expect(cleaned.worktree_cleaned_at).toBeString()
    expect(existsSync(worktree)).toBe(false)
    expect(existsSync(join(repo, '.openruntime', 'gitdirs', id))).toBe(false)
    const after = await api(server, 'GET', `/tasks/${id}/diff`)
    expect(after.status).toBe(200)
    expect(
      gitSync(repo, 'ls-tree', '-r', '--name-only', `refs/openruntime/archive/${id}`)
        .split('\n')
        .filter(Boolean).length,
    ).toBe(FILES)

    expect((await api(server, 'POST', `/tasks/${id}/worktree/restore`)).status).toBe(200)
    expect(hashFiles(worktree)).toEqual(files)
  }, 240_000)
})
