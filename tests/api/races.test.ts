import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { groupAlive } from '../../src/process/process-group'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

/**
 * R3: concurrent start, stop, reply, merge, cleanup and delete of the same task. Each race sends its
 * requests together (over several rounds, with either one slightly ahead) and accepts any interleaving
 * in which exactly one side of each conflict wins; then it checks that the database (status, attempts,
 * timeline) and the repository (status, worktrees, archive refs) agree with what the responses said.
 */

let rt: TestRuntime
let repos = 0

/** A repository of its own for each test, so a race that leaves one inconsistent fails only its test. */
const freshRepo = (on: TestRuntime) => makeRepo(join(on.dir, `repo-${++repos}`), { 'README.md': 'hello\n' })

const SETTLED = ['ready-for-review', 'completed', 'failed', 'stopped']
const ENDINGS = ['attempt-completed', 'attempt-failed', 'attempt-stopped']
/** Outside the sandbox, so a run can leave a trace outside its worktree. */
const FULL_ACCESS = {
  network_mode: 'enabled',
  allow_git_write: true,
  allow_secrets: true,
  blocked_commands: [],
}

type Response = { status: number; body: any }

async function createShell(
  on: TestRuntime,
  workspace: string,
  command: string,
  policy?: Record<string, unknown>,
): Promise<string> {
  const created = await on.call('POST', '/tasks', {
    title: command.slice(0, 40),
    prompt: '',
    runner: 'shell',
    command,
    workspace,
    policy,
  })
  expect(created.status).toBe(200)
  return created.body.id
}

async function statusOf(on: TestRuntime, id: string): Promise<string> {
  return (await on.call('GET', `/tasks/${id}?events=none`)).body.status
}

async function settled(on: TestRuntime, id: string): Promise<any> {
  return waitFor(`task ${id} to settle`, async () => {
    const task = (await on.call('GET', `/tasks/${id}?events=none`)).body
    return SETTLED.includes(task.status) ? task : null
  })
}

async function runToReview(
  on: TestRuntime,
  workspace: string,
  command: string,
  policy?: Record<string, unknown>,
) {
  const id = await createShell(on, workspace, command, policy)
  expect((await on.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  expect((await settled(on, id)).status).toBe('ready-for-review')
  return id
}

/** The process group of the task's live run (recorded once its process was spawned). */
async function runGroup(on: TestRuntime, id: string): Promise<number> {
  return waitFor('the run to record its process group', () => {
    return on.runtime.store.attempts.markedProcesses().find((mark) => mark.task_id === id)?.pgid
  })
}

/**
 * The rounds of a two-way race: which request is sent first (0 or 1), and how many event-loop turns
 * before the other one. Every interleaving is legal and every outcome is checked; the rounds only make
 * the race meet different interleavings (sent in the same turn, a request without a body reaches its
 * handler before one with a body, whatever the order).
 */
const ROUNDS = [0, 1, 3, 8].flatMap((turns) => [
  { ahead: 0, turns },
  { ahead: 1, turns },
])
type Round = (typeof ROUNDS)[number]

/** Yields to the event loop `n` times. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Sends both requests of a round; the results come back in the order of the arguments. */
async function race(round: Round, first: () => Promise<Response>, second: () => Promise<Response>) {
  const [early, late] = round.ahead === 0 ? [first, second] : [second, first]
  const sent = early()
  if (round.turns > 0) await turns(round.turns)
  const results = await Promise.all([sent, late()])
  return round.ahead === 0 ? results : ([results[1], results[0]] as const)
}

/** The one request of a race that succeeded, or what went wrong: "both start and merge", "neither". */
function winnerOf(results: Record<string, Response>): string {
  const won = Object.keys(results).filter((name) => results[name]?.status === 200)
  if (won.length === 1) return won[0] as string
  return won.length === 0 ? 'neither' : `both ${won.join(' and ')}`
}

const is4xx = (status: number) => status >= 400 && status < 500
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

/**
 * Checks that the task's rows and the repository agree once the dust has settled, and returns the task
 * with all its events:
 * - the timeline's seqs are 1..n, and the task's counters say n;
 * - attempts are numbered 1..k, each announced once by an `attempt-started` event; all are finished
 *   with exactly one ending event, except the newest while the task runs; no run is live once settled;
 * - the worktree is registered with git and on disk exactly when the task says it has one; git has no
 *   stale worktree entry, the archive ref exists once cleaned up, the object store is sound, and the
 *   target's working tree shows `repoStatus` (nothing by default);
 * - storage accepted every event written (no refused batch waiting in the event log).
 */
async function expectConsistent(on: TestRuntime, target: string, id: string, repoStatus = ''): Promise<any> {
  const response = await on.call('GET', `/tasks/${id}?events=all`)
  expect(response.status).toBe(200)
  const task = response.body
  const live = task.status === 'running' || task.state === 'needs-input.prompt'
  if (!live) await waitFor('the run to be released', () => !on.runtime.liveRuns.get(id))

  const seqs = task.events.map((e: any) => e.seq)
  expect(seqs).toEqual(range(seqs.length))
  expect(task.last_seq).toBe(seqs.length)
  expect(task.event_count).toBe(seqs.length)

  const attempts: any[] = task.attempts
  expect(attempts.map((a) => a.attempt_number)).toEqual(range(attempts.length))
  const started = task.events.filter((e: any) => e.metadata?.category === 'attempt-started')
  expect(started.map((e: any) => e.metadata.attempt_id)).toEqual(attempts.map((a) => a.id))
  for (const [index, attempt] of attempts.entries()) {
    const open = live && index === attempts.length - 1
    const endings = task.events.filter(
      (e: any) => ENDINGS.includes(e.metadata?.category) && e.metadata.attempt_id === attempt.id,
    )
    expect(endings.length).toBe(open ? 0 : 1)
    if (open) {
      expect(attempt.finished_at).toBeNull()
      expect(['running', 'needs-input']).toContain(attempt.status)
    } else {
      expect(attempt.finished_at).toBeString()
      expect(['completed', 'failed', 'stopped']).toContain(attempt.status)
    }
  }
  for (const event of task.events)
    if (event.attempt_id !== null) expect(attempts.map((a) => a.id)).toContain(event.attempt_id)
  expect(on.runtime.liveRuns.get(id) !== undefined).toBe(live)
  if (task.worktree_merged_at !== null) expect(task.status).toBe('completed')

  const hasWorktree = task.worktree_path !== null && task.worktree_cleaned_at === null
  // A task's checkout is its worktree and its own git directory: both there, or both gone.
  expect(existsSync(join(target, '.openruntime', 'gitdirs', id))).toBe(hasWorktree)
  if (task.worktree_path !== null) expect(existsSync(task.worktree_path)).toBe(hasWorktree)
  if (hasWorktree) gitSync(task.worktree_path, 'status', '--porcelain')
  if (task.worktree_cleaned_at !== null)
    gitSync(target, 'rev-parse', '--verify', `refs/openruntime/archive/${id}`)
  expect(gitSync(target, 'worktree', 'prune', '--dry-run', '--verbose').trim()).toBe('')
  expect(gitSync(target, 'fsck', '--no-dangling', '--no-progress').trim()).toBe('')
  expect(gitSync(target, 'status', '--porcelain=v1', '-uall')).toBe(repoStatus)
  expect(on.runtime.eventLog.writeError).toBeNull()
  return task
}

/** Commits what merges left in the target, so the next check starts from a clean working tree. */
function commitMerged(target: string) {
  gitSync(target, 'add', '-A')
  gitSync(target, 'commit', '-qm', 'take merged changes')
}

// One runtime at a time: the embedded queue is shared by the whole process.
describe('races: exactly one wins each conflict', () => {
  beforeAll(async () => {
    rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '4' })
  })
  afterAll(() => rt?.close())

  test('simultaneous starts spawn one run; the other is a 409', async () => {
    const repo = freshRepo(rt)
    const id = await createShell(rt, repo, 'echo once >> /dev/null')
    const results = await Promise.all([1, 2, 3].map(() => rt.call('POST', `/tasks/${id}/start`)))
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409])
    expect((await settled(rt, id)).status).toBe('completed')
    const task = await expectConsistent(rt, repo, id)
    expect(task.attempts.length).toBe(1)
  })

  test('simultaneous stops: one stops the run, the others are 409', async () => {
    const repo = freshRepo(rt)
    const id = await createShell(rt, repo, 'echo go; sleep 1000')
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor('output', async () =>
      (await rt.call('GET', `/tasks/${id}/events`)).body.some((e: any) => e.message === 'go'),
    )
    const group = await runGroup(rt, id)
    const results = await Promise.all([1, 2, 3].map(() => rt.call('POST', `/tasks/${id}/stop`)))
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409])
    const task = await expectConsistent(rt, repo, id)
    expect(task.status).toBe('stopped')
    expect(task.attempts.map((a: any) => a.status)).toEqual(['stopped'])
    expect(task.events.filter((e: any) => e.metadata?.category === 'attempt-stopped').length).toBe(1)
    expect(await groupAlive(group)).toBe(false)
  })

  test('simultaneous merges and cleanups: one wins, the repository stays consistent', async () => {
    const repo = freshRepo(rt)
    const id = await runToReview(rt, repo, 'echo race > race.txt')
    const merges = await Promise.all([1, 2].map(() => rt.call('POST', `/tasks/${id}/worktree/merge`, {})))
    expect(merges.map((r) => r.status).sort()).toEqual([200, 409])
    expect(readFileSync(join(repo, 'race.txt'), 'utf8')).toBe('race\n')
    await expectConsistent(rt, repo, id, '?? race.txt\n')
    commitMerged(repo)
    const cleanups = await Promise.all([1, 2].map(() => rt.call('POST', `/tasks/${id}/worktree/cleanup`)))
    expect(cleanups.map((r) => r.status).sort()).toEqual([200, 409])
    const task = await expectConsistent(rt, repo, id)
    expect(task.worktree_cleaned_at).toBeString()
    expect(task.events.filter((e: any) => e.metadata?.category === 'merged').length).toBe(1)
    expect(task.events.filter((e: any) => e.metadata?.category === 'worktree-cleaned').length).toBe(1)
  })

  test('simultaneous replies to a shell waiting for input: each is delivered exactly once, in order, or refused', async () => {
    const repo = freshRepo(rt)
    const replies = ['alpha', 'bravo', 'charlie', 'delta', 'foxtrot', 'golf']
    const id = await createShell(
      rt,
      repo,
      `for n in ${range(replies.length).join(' ')}; do read line; echo "got $line"; done`,
    )
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor('the shell to wait for input', async () => (await statusOf(rt, id)) === 'needs-input')
    const results = await Promise.all(
      replies.map((message) => rt.call('POST', `/tasks/${id}/reply`, { message })),
    )
    for (const result of results) expect(result.status === 200 || is4xx(result.status)).toBe(true)
    const accepted = replies.filter((_, i) => results[i]?.status === 200)
    const refused = replies.filter((_, i) => results[i]?.status !== 200)
    // A refused reply was not written: the shell still reads one line per refusal.
    for (const [i, message] of refused.entries()) {
      const late = await rt.call('POST', `/tasks/${id}/reply`, { message: `late-${i}-${message}` })
      expect(late.status).toBe(200)
    }
    expect((await settled(rt, id)).status).toBe('completed')

    const task = await expectConsistent(rt, repo, id)
    const inputs = task.events.filter((e: any) => e.kind === 'input')
    const delivered = inputs.map((e: any) => e.message.replace(/^User reply: /, ''))
    // Every accepted reply is recorded once, every refused one never (only its late resend).
    expect([...delivered].sort()).toEqual(
      [...accepted, ...refused.map((message, i) => `late-${i}-${message}`)].sort(),
    )
    for (const event of inputs) {
      expect(event.attempt_id).toBe(task.current_attempt.id)
      expect(event.metadata).toMatchObject({ category: 'reply', delivery: 'stdin' })
    }
    // The shell read each one exactly once, in the order the replies were recorded.
    const output = task.events.filter((e: any) => e.kind === 'stdout').map((e: any) => e.message)
    expect(output).toEqual(delivered.map((message: string) => `got ${message}`))
    expect(task.attempts.length).toBe(1)
  })

  test('a reply racing a stop is delivered before the stop or refused with 409; the task ends stopped', async () => {
    const repo = freshRepo(rt)
    for (const [index, round] of ROUNDS.entries()) {
      const answer = `answer-${index}`
      const id = await createShell(rt, repo, 'read answer; echo "got $answer"; sleep 1000')
      await rt.call('POST', `/tasks/${id}/start`)
      await waitFor('the shell to wait for input', async () => (await statusOf(rt, id)) === 'needs-input')
      const group = await runGroup(rt, id)
      const [reply, stop] = await race(
        round,
        () => rt.call('POST', `/tasks/${id}/reply`, { message: answer }),
        () => rt.call('POST', `/tasks/${id}/stop`),
      )
      expect(stop.status).toBe(200)
      expect([200, 409]).toContain(reply.status)

      const task = await expectConsistent(rt, repo, id)
      expect(task.status).toBe('stopped')
      expect(task.attempts.map((a: any) => a.status)).toEqual(['stopped'])
      const stopped = task.events.filter((e: any) => e.metadata?.category === 'attempt-stopped')
      expect(stopped.length).toBe(1)
      expect(stopped[0].metadata.reason).toBe('user')
      const inputs = task.events.filter((e: any) => e.kind === 'input')
      if (reply.status === 200) {
        expect(inputs.map((e: any) => e.message)).toEqual([`User reply: ${answer}`])
        expect(inputs[0].seq).toBeLessThan(stopped[0].seq)
        expect(inputs[0].attempt_id).toBe(task.current_attempt.id)
      } else {
        expect(['no_live_process', 'no_live_stdin']).toContain(reply.body.error.code)
        expect(inputs).toEqual([])
        expect(task.events.some((e: any) => e.message === `got ${answer}`)).toBe(false)
      }
      expect(await groupAlive(group)).toBe(false)
      expect((await rt.call('POST', `/tasks/${id}/reply`, { message: 'too late' })).status).toBe(409)
    }
  })

  test('start racing merge: either the changes land and the task completes, or the run restarts and the target is untouched', async () => {
    const repo = freshRepo(rt)
    for (const [index, round] of ROUNDS.entries()) {
      const file = `merge-race-${index}.txt`
      const id = await runToReview(rt, repo, `echo ${index} > ${file}`)
      const [start, merge] = await race(
        round,
        () => rt.call('POST', `/tasks/${id}/start`),
        () => rt.call('POST', `/tasks/${id}/worktree/merge`, {}),
      )
      const winner = winnerOf({ start, merge })
      expect(winner).toBeOneOf(['start', 'merge'])
      expect(start.status === 409 || merge.status === 409).toBe(true)
      if (winner === 'merge') {
        const task = await expectConsistent(rt, repo, id, `?? ${file}\n`)
        expect(task.status).toBe('completed')
        expect(task.worktree_merged_at).toBeString()
        expect(task.attempts.length).toBe(1)
        expect(readFileSync(join(repo, file), 'utf8')).toBe(`${index}\n`)
        commitMerged(repo)
      } else {
        // The refused merge wrote nothing into the target, and the new run went ahead.
        expect(gitSync(repo, 'status', '--porcelain=v1', '-uall')).toBe('')
        expect((await settled(rt, id)).status).toBe('ready-for-review')
        const task = await expectConsistent(rt, repo, id)
        expect(task.worktree_merged_at).toBeNull()
        expect(task.attempts.length).toBe(2)
        expect(task.events.some((e: any) => e.metadata?.category === 'merged')).toBe(false)
      }
    }
  })

  test('start racing cleanup: either the worktree is archived and removed, or the new run has it to itself', async () => {
    const repo = freshRepo(rt)
    for (const round of ROUNDS) {
      const id = await runToReview(rt, repo, 'echo run >> runs.txt')
      const [start, cleanup] = await race(
        round,
        () => rt.call('POST', `/tasks/${id}/start`),
        () => rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`),
      )
      const winner = winnerOf({ start, cleanup })
      expect(winner).toBeOneOf(['start', 'cleanup'])
      expect(start.status === 409 || cleanup.status === 409).toBe(true)
      if (winner === 'cleanup') {
        const task = await expectConsistent(rt, repo, id)
        expect(task.status).toBe('ready-for-review')
        expect(task.worktree_cleaned_at).toBeString()
        expect(task.attempts.length).toBe(1)
        expect(gitSync(repo, 'show', `refs/openruntime/archive/${id}:runs.txt`)).toBe('run\n')
      } else {
        expect((await settled(rt, id)).status).toBe('ready-for-review')
        const task = await expectConsistent(rt, repo, id)
        expect(task.worktree_cleaned_at).toBeNull()
        expect(task.attempts.length).toBe(2)
        // The second run worked in the same, intact worktree.
        expect(readFileSync(join(task.worktree_path, 'runs.txt'), 'utf8')).toBe('run\nrun\n')
        expect(task.events.filter((e: any) => e.kind === 'stderr' || e.kind === 'error')).toEqual([])
      }
    }
  })

  test('stop racing merge and cleanup of a running task: the run stops; merge and cleanup win only after it', async () => {
    const repo = freshRepo(rt)
    // Turns each request waits before it is sent: [stop, merge, cleanup].
    const rounds = [
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 1],
      [3, 0, 3],
    ]
    for (const [index, delays] of rounds.entries()) {
      const file = `stop-race-${index}.txt`
      const id = await createShell(rt, repo, `echo ${index} > ${file}; echo go; sleep 1000`)
      await rt.call('POST', `/tasks/${id}/start`)
      await waitFor('output', async () =>
        (await rt.call('GET', `/tasks/${id}/events`)).body.some((e: any) => e.message === 'go'),
      )
      const group = await runGroup(rt, id)
      const requests = [
        () => rt.call('POST', `/tasks/${id}/stop`),
        () => rt.call('POST', `/tasks/${id}/worktree/merge`, {}),
        () => rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`),
      ]
      const [stop, merge, cleanup] = (await Promise.all(
        requests.map((request, i) => turns(delays[i] ?? 0).then(request)),
      )) as [Response, Response, Response]
      expect(stop.status).toBe(200)
      expect([200, 409]).toContain(merge.status)
      expect([200, 409]).toContain(cleanup.status)
      expect(await groupAlive(group)).toBe(false)

      const merged = merge.status === 200
      const task = await expectConsistent(rt, repo, id, merged ? `?? ${file}\n` : '')
      expect(task.status).toBe(merged ? 'completed' : 'stopped')
      expect(task.attempts.map((a: any) => a.status)).toEqual(['stopped'])
      expect(task.worktree_merged_at !== null).toBe(merged)
      expect(task.worktree_cleaned_at !== null).toBe(cleanup.status === 200)
      expect(existsSync(join(repo, file))).toBe(merged)

      // What lost can be done now that the run has stopped.
      if (!merged && cleanup.status !== 200) {
        expect((await rt.call('POST', `/tasks/${id}/worktree/merge`, {})).status).toBe(200)
        expect(readFileSync(join(repo, file), 'utf8')).toBe(`${index}\n`)
      }
      if (cleanup.status !== 200)
        expect((await rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`)).status).toBe(200)
      if (existsSync(join(repo, file))) commitMerged(repo)
      const after = await expectConsistent(rt, repo, id)
      expect(after.worktree_cleaned_at).toBeString()
    }
  })

  test('20 tasks on one repository run in parallel, each in its own worktree, then merge one after another', async () => {
    const repo = freshRepo(rt)
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const id = await createShell(rt, repo, `echo ${i} > parallel-${i}.txt`)
        await rt.call('POST', `/tasks/${id}/start`)
        return id
      }),
    )
    for (const id of ids) {
      const task = await waitFor(
        'review',
        async () => {
          const t = (await rt.call('GET', `/tasks/${id}?events=none`)).body
          return t.status === 'ready-for-review' ? t : null
        },
        60_000,
      )
      expect(task.worktree_path).toContain(id)
    }
    for (const id of ids) expect((await rt.call('POST', `/tasks/${id}/worktree/merge`, {})).status).toBe(200)
    for (let i = 0; i < 20; i++) expect(readFileSync(join(repo, `parallel-${i}.txt`), 'utf8')).toBe(`${i}\n`)
    commitMerged(repo)
    for (const id of ids) await expectConsistent(rt, repo, id)
  }, 120_000)
})

// Its own runtime: a delete that loses to a run poisons the event log for every task of the server.
describe('races on a separate runtime', () => {
  let own: TestRuntime
  let target: string
  beforeAll(async () => {
    own = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '4' })
    target = freshRepo(own)
  })
  afterAll(() => own?.close())

  test('start racing delete: either the task is gone for good (no run, no rows) or it runs and the delete is refused', async () => {
    for (const [index, round] of ROUNDS.entries()) {
      // Each run appends to a file outside its worktree, so a run of a deleted task would show.
      const marker = join(own.dir, `runs-${index}`)
      const id = await runToReview(
        own,
        target,
        `echo run >> ${marker}; echo ${index} > deleted.txt`,
        FULL_ACCESS,
      )
      const [start, remove] = await race(
        round,
        () => own.call('POST', `/tasks/${id}/start`),
        () => own.call('DELETE', `/tasks/${id}?force=true`),
      )
      const winner = winnerOf({ start, delete: remove })
      expect(winner).toBeOneOf(['start', 'delete'])
      if (winner === 'start') {
        expect(remove.status).toBe(409)
        expect((await settled(own, id)).status).toBe('ready-for-review')
        const task = await expectConsistent(own, target, id)
        expect(task.attempts.length).toBe(2)
        expect(readFileSync(marker, 'utf8')).toBe('run\nrun\n')
      } else {
        expect([404, 409]).toContain(start.status)
        expect((await own.call('GET', `/tasks/${id}?events=none`)).status).toBe(404)
        expect(own.runtime.store.attempts.list(id)).toEqual([])
        expect(own.runtime.store.events.maxSeq(id)).toBe(0)
        // A later task runs to the end: any job of the deleted task was taken before it, and found nothing.
        const later = await createShell(own, target, 'echo later')
        await own.call('POST', `/tasks/${later}/start`)
        expect((await settled(own, later)).status).toBe('completed')
        expect(own.runtime.liveRuns.get(id)).toBeUndefined()
        expect(readFileSync(marker, 'utf8')).toBe('run\n')
        expect(own.runtime.eventLog.writeError).toBeNull()
        // The worktree stays until cleaned up; the repository itself is untouched.
        expect(gitSync(target, 'status', '--porcelain=v1', '-uall')).toBe('')
        expect(gitSync(target, 'fsck', '--no-dangling', '--no-progress').trim()).toBe('')
      }
    }
  })
})
