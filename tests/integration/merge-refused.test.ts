import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashFiles } from '../git/helpers'
import { gitSync, makeRepo } from '../support/git-repo'
import { stoppedGitChild } from '../support/processes'
import { api, runShell, spawnServer } from '../support/server-process'
import { tempDir } from '../support/temp'

/**
 * Item 7 of the containment issue: a merge whose record the database refuses (here: another
 * process holds the write lock past the busy timeout) must not leave the target merged while the
 * task says it is not, or a retry would merge twice.
 */

const dir = tempDir()
afterAll(() => dir.cleanup())

test('a merge the database refuses to record is rolled back: 503, the target untouched; later it merges once', async () => {
  const dbPath = join(dir.path, 'data', 'openruntime.sqlite3')
  const server = await spawnServer({ OPENRUNTIME_DB: dbPath })
  try {
    // Enough files that git's write lasts long enough to be caught in the act.
    const files = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f/${i}.txt`, `${i}\n`]))
    const repo = makeRepo(join(dir.path, 'repo'), { 'a.txt': 'a\n', ...files })
    const id = await runShell(
      server,
      repo,
      'echo changed >> a.txt && echo new > c.txt && for f in f/*.txt; do echo more >> "$f"; done',
    )
    const before = {
      files: hashFiles(repo),
      head: gitSync(repo, 'rev-parse', 'HEAD'),
      index: gitSync(repo, 'ls-files', '-s'),
    }

    // The merge is held while git writes, and the database locked by another process meanwhile.
    const merging = api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' })
    const git = stoppedGitChild(server.proc.pid, 'restore').pid
    const blocker = new Database(dbPath)
    blocker.exec('BEGIN EXCLUSIVE')
    process.kill(git, 'SIGCONT')
    const refused = await merging
    blocker.exec('ROLLBACK')
    blocker.close()

    expect(refused.status).toBe(503)
    expect(refused.body.error.code).toBe('storage_unavailable')
    expect({
      files: hashFiles(repo),
      head: gitSync(repo, 'rev-parse', 'HEAD'),
      index: gitSync(repo, 'ls-files', '-s'),
    }).toEqual(before)
    const task = (await api(server, 'GET', `/tasks/${id}?events=all`)).body
    expect(task).toMatchObject({ status: 'ready-for-review', worktree_merged_at: null })

    // The database takes writes again: the retry merges exactly once.
    const merged = await api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' })
    expect(merged.status).toBe(200)
    expect(gitSync(repo, 'rev-list', '--count', `${before.head.trim()}..HEAD`).trim()).toBe('1')
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('a\nchanged\n')
    const done = (await api(server, 'GET', `/tasks/${id}?events=all`)).body
    expect(done.status).toBe('completed')
    expect(done.events.filter((e: any) => e.metadata?.category === 'merged').length).toBe(1)
  } finally {
    await server.kill()
  }
}, 60_000)
