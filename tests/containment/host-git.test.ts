import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { FULL_ACCESS, hostScratch, outputOf, type TasksApi, tasksApi } from '../runners/api'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

/**
 * Attack 1 of the containment issue: a run plants git configuration that makes whoever runs git
 * in its worktree execute a program (core.fsmonitor, a clean filter named in .gitattributes), and
 * points the worktree's git metadata at it. The server's own git (diff capture, live diff, merge,
 * cleanup, restore) must never run it, whether the run was sandboxed or not.
 */

const scratch = hostScratch('openruntime-host-git-')
const marker = join(scratch.path, 'host-code-ran')
let rt: TestRuntime
let api: TasksApi

// Runs inside the task's worktree. The hook leaves the marker only when run outside a task (the
// run's own environment carries OPENRUNTIME_TASK_ID), so a mark means host-side code ran it.
const PLANT = `set -u
wt=$(pwd)
gd=$(sed -n 's/^gitdir: //p' .git)
mkdir -p fake/refs
ln -s "$(cat "$gd/objects/info/alternates")" fake/objects
cp "$gd/HEAD" fake/HEAD
cat > hook.sh <<HOOK
[ -n "\\\${OPENRUNTIME_TASK_ID:-}" ] || echo "\\$0 \\$*" >> "${marker}"
cat
HOOK
cat > fake/config <<CONFIG
[core]
	repositoryformatversion = 0
	bare = false
	fsmonitor = sh $wt/hook.sh
[filter "pwn"]
	clean = sh $wt/hook.sh
	smudge = sh $wt/hook.sh
[diff "pwn"]
	textconv = sh $wt/hook.sh
CONFIG
printf '* filter=pwn diff=pwn\\n' > .gitattributes
echo changed > README.md
echo "$wt/fake" > "$gd/commondir" 2>/dev/null && echo "commondir: rewritten" || echo "commondir: refused"
cp fake/config "$gd/config" 2>/dev/null && echo "config: rewritten" || echo "config: refused"
printf 'gitdir: %s\\n' "$wt/fake" > .git 2>/dev/null && echo "gitfile: rewritten" || echo "gitfile: refused"
`

const freshRepo = (name: string) =>
  makeRepo(join(scratch.path, name), { 'README.md': 'hello\n', 'plant.sh': PLANT })

beforeAll(async () => {
  rt = await startTestRuntime()
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  scratch.cleanup()
})

/** Everything the server does with a finished task's worktree, each of which runs git on it. */
async function reviewEverything(id: string, repo: string) {
  expect((await rt.call('GET', `/tasks/${id}/diff`)).status).toBe(200)
  expect((await rt.call('GET', `/tasks/${id}/diff`)).status).toBe(200)
  const merged = await rt.call('POST', `/tasks/${id}/worktree/merge`, { strategy: 'commit' })
  expect(merged.status).toBe(200)
  // The task's .gitattributes and README reached the user's repository as plain files.
  expect(gitSync(repo, 'show', 'HEAD:README.md')).toBe('changed\n')
  const cleaned = await rt.call('POST', `/tasks/${id}/worktree/cleanup`)
  expect(cleaned.body.error ?? null).toBeNull()
  expect(cleaned.status).toBe(200)
  expect((await rt.call('POST', `/tasks/${id}/worktree/restore`)).status).toBe(200)
  expect((await rt.call('GET', `/tasks/${id}/diff`)).status).toBe(200)
}

describe('host-side git trusts nothing a run wrote', () => {
  test('the fsmonitor and filter chain on the default preset: the metadata is read-only, nothing runs on the host', async () => {
    const repo = freshRepo('sandboxed')
    const id = await api.create({ runner: 'shell', command: 'sh plant.sh', workspace: repo })
    await api.run(id)
    const task = await api.settled(id)
    expect(task).toMatchObject({ status: 'ready-for-review', sandboxed: true })
    expect(outputOf(task)).toEqual(['commondir: refused', 'config: refused', 'gitfile: refused'])
    await reviewEverything(id, repo)
    expect(existsSync(marker)).toBe(false)
    expect((await rt.call('GET', '/tasks')).body.map((t: any) => t.id)).toEqual([id])
  })

  test('the same chain from an unsandboxed run that rewrote every pointer: still nothing runs on the host', async () => {
    const repo = freshRepo('unsandboxed')
    const id = await api.create({
      runner: 'shell',
      command: 'sh plant.sh',
      workspace: repo,
      policy: FULL_ACCESS,
    })
    await api.run(id)
    const task = await api.settled(id)
    expect(task).toMatchObject({ status: 'ready-for-review', sandboxed: false })
    expect(outputOf(task)).toEqual(['commondir: rewritten', 'config: rewritten', 'gitfile: rewritten'])

    // Control: git run the naive way in that worktree executes the planted program, so the
    // assertions below can fail.
    gitSync(task.worktree_path, 'status', '--porcelain')
    expect(existsSync(marker)).toBe(true)
    rmSync(marker)

    await reviewEverything(id, repo)
    expect(existsSync(marker)).toBe(false)
    expect((await rt.call('GET', '/tasks')).body.length).toBe(2)
  })
})
