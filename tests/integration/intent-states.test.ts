import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupWorktree, locateTaskCheckout, type MergePlan, mergeTask } from '../../src/git'
import { stateName, worktreeOf } from '../../src/machines/task-state'
import { hashFiles } from '../git/helpers'
import { gitSync, makeRepo } from '../support/git-repo'
import { stoppedGitChild } from '../support/processes'
import { restartTestRuntime, startTestRuntime, type TestRuntime } from '../support/runtime'
import { api, runShell, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

/**
 * Merge, cleanup and restore as machine events: while git works on a task's repository the task is
 * in an intent state (merging, cleaning, restoring) that refuses whatever would disturb it, and an
 * operation whose outcome was never recorded is ended by sending the machine the event that
 * completes or rolls it back: by recovery after a restart, or by the next operation on the task.
 */

async function runToReview(rt: TestRuntime, repo: string, command: string): Promise<string> {
  const created = await rt.call('POST', '/tasks', {
    title: command,
    prompt: '',
    runner: 'shell',
    command,
    workspace: repo,
  })
  const id = created.body.id as string
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor('ready for review', () => rt.runtime.store.tasks.get(id)?.status === 'ready-for-review')
  return id
}

const checkoutOf = (rt: TestRuntime, id: string) => {
  const task = rt.runtime.store.tasks.get(id)
  if (!task) throw new Error(`no task ${id}`)
  return locateTaskCheckout(task.workspace, id, task.worktree_path)
}

/** Records the intent as the review service does, through the machine, and no outcome after it. */
const begin = (
  rt: TestRuntime,
  id: string,
  type: 'MERGE_BEGIN' | 'CLEANUP_BEGIN' | 'RESTORE_BEGIN',
  plan: unknown,
) => rt.runtime.lifecycle.transition(id, { type }, { message: `test: ${type}`, category: 'test', plan })

/** Git's part of a merge, with its intent recorded and its outcome not: what a crash leaves. */
async function mergeUnrecorded(
  rt: TestRuntime,
  id: string,
  strategy: 'apply' | 'commit',
): Promise<MergePlan> {
  const checkout = await checkoutOf(rt, id)
  const task = rt.runtime.store.tasks.get(id)
  let plan: MergePlan | null = null
  await mergeTask({
    checkout,
    repoRoot: checkout.repo.root,
    baseCommit: task?.base_commit ?? null,
    strategy,
    beforeWriting: (planned) => {
      plan = planned
      begin(rt, id, 'MERGE_BEGIN', planned)
    },
  })
  if (!plan) throw new Error('the merge wrote nothing')
  return plan
}

const view = async (rt: TestRuntime, id: string) => (await rt.call('GET', `/tasks/${id}?events=all`)).body
const machine = (rt: TestRuntime, id: string) => {
  const snapshot = rt.runtime.lifecycle.snapshot(id)
  return `${stateName(snapshot)}|${worktreeOf(snapshot)}`
}
const recoveredEvent = (task: any) => task.events.findLast((e: any) => e.metadata?.recovered)

describe('intent states after a restart', () => {
  let rt: TestRuntime
  afterAll(() => rt?.close())

  test('recovery completes or rolls back each interrupted operation through the machine', async () => {
    rt = await startTestRuntime()
    const repo = (name: string) => makeRepo(join(rt.dir, name), { 'README.md': 'hello\n' })
    const applyRepo = repo('apply')
    const commitRepo = repo('commit')
    const cleanupRepo = repo('cleanup')
    const restoreRepo = repo('restore')
    const applied = await runToReview(rt, applyRepo, 'echo applied > applied.txt')
    const committed = await runToReview(rt, commitRepo, 'echo committed > committed.txt')
    const cleaned = await runToReview(rt, cleanupRepo, 'echo kept > kept.txt')
    const restored = await runToReview(rt, restoreRepo, 'echo back > back.txt')
    const applyBefore = hashFiles(applyRepo)
    const commitHead = gitSync(commitRepo, 'rev-parse', 'HEAD').trim()

    // An uncommitted merge fully written: it leaves no mark that it finished, so it is undone.
    await mergeUnrecorded(rt, applied, 'apply')
    expect(readFileSync(join(applyRepo, 'applied.txt'), 'utf8')).toBe('applied\n')
    // A commit merge whose HEAD moved: every file was written, so it is completed.
    const plan = await mergeUnrecorded(rt, committed, 'commit')
    // A cleanup whose archive ref was written and whose worktree went.
    const worktree = rt.runtime.store.tasks.get(cleaned)?.worktree_path as string
    await cleanupWorktree({
      checkout: await checkoutOf(rt, cleaned),
      baseCommit: rt.runtime.store.tasks.get(cleaned)?.base_commit ?? null,
      beforeRemoving: (archive) => {
        begin(rt, cleaned, 'CLEANUP_BEGIN', { archive_commit: archive })
      },
    })
    expect(existsSync(worktree)).toBe(false)
    // A restore that had made part of the worktree again.
    expect((await rt.call('POST', `/tasks/${restored}/worktree/cleanup?force=true`)).status).toBe(200)
    const restoredWorktree = rt.runtime.store.tasks.get(restored)?.worktree_path as string
    begin(rt, restored, 'RESTORE_BEGIN', {})
    mkdirSync(restoredWorktree, { recursive: true })
    writeFileSync(join(restoredWorktree, 'half.txt'), 'half\n')

    expect(machine(rt, applied)).toBe('ready-for-review|merging')
    expect(machine(rt, committed)).toBe('ready-for-review|merging')
    expect(machine(rt, cleaned)).toBe('ready-for-review|cleaning')
    expect(machine(rt, restored)).toBe('ready-for-review|restoring')
    expect(rt.runtime.store.intents.list().length).toBe(4)

    rt = await restartTestRuntime(rt)
    expect(
      Object.fromEntries(rt.runtime.recovery.repository.map((r) => [r.task_id, `${r.kind}: ${r.outcome}`])),
    ).toEqual({
      [applied]: 'merge: rolled-back',
      [committed]: 'merge: completed',
      [cleaned]: 'cleanup: completed',
      [restored]: 'restore: rolled-back',
    })
    expect(rt.runtime.store.intents.list()).toEqual([])

    expect(machine(rt, applied)).toBe('ready-for-review|present')
    expect(hashFiles(applyRepo)).toEqual(applyBefore)
    const appliedTask = await view(rt, applied)
    expect(recoveredEvent(appliedTask).metadata).toMatchObject({
      category: 'merge-rolled-back',
      worktree: 'present',
    })
    expect(appliedTask.worktree_merged_at).toBeNull()

    expect(machine(rt, committed)).toBe('completed|present')
    expect(gitSync(commitRepo, 'rev-parse', 'HEAD').trim()).toBe(plan.commit as string)
    expect(gitSync(commitRepo, 'rev-parse', 'HEAD~1').trim()).toBe(commitHead)
    const committedTask = await view(rt, committed)
    expect(committedTask).toMatchObject({ status: 'completed' })
    expect(committedTask.worktree_merged_at).toBeString()
    expect(recoveredEvent(committedTask).metadata).toMatchObject({ category: 'merged', status: 'completed' })

    expect(machine(rt, cleaned)).toBe('ready-for-review|cleaned')
    const cleanedTask = await view(rt, cleaned)
    expect(cleanedTask.worktree_cleaned_at).toBeString()
    expect(recoveredEvent(cleanedTask).metadata).toMatchObject({
      category: 'worktree-cleaned',
      worktree: 'cleaned',
    })

    expect(machine(rt, restored)).toBe('ready-for-review|cleaned')
    expect(existsSync(restoredWorktree)).toBe(false)
    expect((await view(rt, restored)).worktree_cleaned_at).toBeString()

    // Each task takes the next operation its state allows: the rolled-back merge merges once.
    expect((await rt.call('POST', `/tasks/${applied}/worktree/merge`, {})).status).toBe(200)
    expect(readFileSync(join(applyRepo, 'applied.txt'), 'utf8')).toBe('applied\n')
    expect((await rt.call('POST', `/tasks/${committed}/worktree/merge`, {})).status).toBe(409)
    expect((await rt.call('POST', `/tasks/${cleaned}/worktree/restore`)).status).toBe(200)
    expect(readFileSync(join(worktree, 'kept.txt'), 'utf8')).toBe('kept\n')
    expect((await rt.call('POST', `/tasks/${restored}/worktree/restore`)).status).toBe(200)
    expect(readFileSync(join(restoredWorktree, 'back.txt'), 'utf8')).toBe('back\n')
  }, 120_000)
})

describe('an intent no operation holds any more', () => {
  test('is settled by the next operation on the task, which then goes ahead', async () => {
    const rt = await startTestRuntime()
    try {
      const repo = makeRepo(join(rt.dir, 'repo'), { 'README.md': 'hello\n' })
      const id = await runToReview(rt, repo, 'echo again > again.txt')
      const before = hashFiles(repo)
      // As a merge whose outcome the database refused leaves it: written, and still merging.
      await mergeUnrecorded(rt, id, 'apply')
      expect(machine(rt, id)).toBe('ready-for-review|merging')

      const started = await rt.call('POST', `/tasks/${id}/start`)
      expect(started.status).toBe(200)
      const task = await waitFor('the new run to settle', async () => {
        const t = await view(rt, id)
        return t.status === 'ready-for-review' && t.attempts.length === 2 ? t : null
      })
      expect(hashFiles(repo)).toEqual(before)
      const categories = task.events.map((e: any) => e.metadata?.category)
      expect(categories.indexOf('merge-rolled-back')).toBeLessThan(categories.lastIndexOf('start-requested'))
      expect(rt.runtime.store.intents.get(id)).toBeNull()
    } finally {
      await rt.close()
    }
  }, 60_000)
})

describe('a merge in progress', () => {
  const dir = tempDir()
  afterAll(() => dir.cleanup())

  test('refuses start, cleanup, restore, delete and a second merge with the machine’s 409; then it completes', async () => {
    const server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3') })
    try {
      // Enough files that git's write can be caught in the act.
      const files = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f/${i}.txt`, `${i}\n`]))
      const repo = makeRepo(join(dir.path, 'repo'), files)
      const id = await runShell(server, repo, 'for f in f/*.txt; do echo more >> "$f"; done')

      const merging = api(server, 'POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' })
      const git = stoppedGitChild(server.proc.pid, 'restore').pid
      try {
        const during = (await api(server, 'GET', `/tasks/${id}?events=none`)).body
        expect(during).toMatchObject({ status: 'ready-for-review', state: 'ready-for-review' })
        const refusals = {
          start: await api(server, 'POST', `/tasks/${id}/start`),
          'clean up': await api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`),
          restore: await api(server, 'POST', `/tasks/${id}/worktree/restore`),
          delete: await api(server, 'DELETE', `/tasks/${id}?force=true`),
          merge: await api(server, 'POST', `/tasks/${id}/worktree/merge`, {}),
        }
        for (const [action, refused] of Object.entries(refusals)) {
          expect(refused.status).toBe(409)
          expect(refused.body.error).toMatchObject({
            code: 'invalid_transition',
            message: `cannot ${action} task ${id}: it is ready-for-review (worktree being merged)`,
            details: { state: 'ready-for-review', worktree: 'merging' },
          })
        }
      } finally {
        process.kill(git, 'SIGCONT')
      }
      expect((await merging).status).toBe(200)
      const done = (await api(server, 'GET', `/tasks/${id}?events=all`)).body
      expect(done.status).toBe('completed')
      const categories = done.events.map((e: any) => e.metadata?.category)
      expect(categories.filter((c: string) => c === 'merge-started' || c === 'merged')).toEqual([
        'merge-started',
        'merged',
      ])
      expect((await api(server, 'DELETE', `/tasks/${id}`)).status).toBe(200)
    } finally {
      await server.kill()
    }
  }, 60_000)
})
