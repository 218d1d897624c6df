import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../support/git-repo'
import { createShellTask, startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

let rt: TestRuntime
let repo: string

beforeAll(async () => {
  rt = await startTestRuntime({ OPENRUNTIME_MAX_PARALLEL: '4' })
  repo = makeRepo(join(rt.dir, 'repo'), { 'README.md': 'hello\n', 'src/app.txt': 'one\ntwo\nthree\n' })
})
afterAll(() => rt?.close())

async function runToReview(command: string, target = repo, policy?: Record<string, unknown>) {
  const created = await rt.call('POST', '/tasks', {
    title: command.slice(0, 40),
    prompt: '',
    runner: 'shell',
    command,
    workspace: target,
    policy,
  })
  const id = created.body.id as string
  await rt.call('POST', `/tasks/${id}/start`)
  const task = await waitFor('review', async () => {
    const t = (await rt.call('GET', `/tasks/${id}?events=none`)).body
    return ['ready-for-review', 'completed', 'failed', 'stopped'].includes(t.status) ? t : null
  })
  expect(task.status).toBe('ready-for-review')
  return id
}

const snapshotOf = (dir: string) => ({
  status: gitSync(dir, 'status', '--porcelain=v1', '-uall'),
  head: gitSync(dir, 'rev-parse', 'HEAD'),
  app: readFileSync(join(dir, 'src/app.txt'), 'utf8'),
})

describe('review through the API', () => {
  test('diff covers committed, uncommitted and untracked changes with per-file counts', async () => {
    const id = await runToReview(
      "printf 'one\\n2\\nthree\\n' > src/app.txt && git -c user.name=a -c user.email=a@b commit -qam edit && echo extra >> README.md && echo new > new.txt",
      repo,
      // A commit is a git write, which the default policy refuses.
      { allow_git_write: true },
    )
    const diff = (await rt.call('GET', `/tasks/${id}/diff`)).body
    expect(diff).toMatchObject({ task_id: id, isolated: true, has_changes: true, truncated: false })
    const files = Object.fromEntries(diff.files.map((f: any) => [f.path, f]))
    expect(files['src/app.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 1 })
    expect(files['README.md']).toMatchObject({ status: 'modified', additions: 1, deletions: 0 })
    expect(files['new.txt']).toMatchObject({ status: 'added', additions: 1 })
    expect(diff.patch).toContain('+new')
    expect(diff.stat).toContain('new.txt')
  })

  test('merge (apply) lands the changes uncommitted, completes the task, and cannot run twice', async () => {
    const id = await runToReview('echo merged > merged.txt')
    const headBefore = gitSync(repo, 'rev-parse', 'HEAD')
    const merged = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(merged.status).toBe(200)
    expect(merged.body.task.status).toBe('completed')
    expect(merged.body.task.worktree_merged_at).toBeString()
    expect(readFileSync(join(repo, 'merged.txt'), 'utf8')).toBe('merged\n')
    expect(gitSync(repo, 'rev-parse', 'HEAD')).toBe(headBefore)
    const again = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(again.status).toBe(409)
    gitSync(repo, 'add', 'merged.txt')
    gitSync(repo, 'commit', '-qm', 'take merged')
  })

  test('merge (commit) makes one commit and keeps unrelated dirty files of the target', async () => {
    const id = await runToReview('echo committed > committed.txt')
    writeFileSync(join(repo, 'unrelated.txt'), 'mine\n')
    const merged = await rt.call('POST', `/tasks/${id}/worktree/merge`, {
      strategy: 'commit',
      message: 'Add committed.txt',
    })
    expect(merged.status).toBe(200)
    expect(merged.body.merge.commit).toBeString()
    expect(gitSync(repo, 'log', '-1', '--format=%s').trim()).toBe('Add committed.txt')
    expect(gitSync(repo, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe('committed.txt')
    expect(readFileSync(join(repo, 'unrelated.txt'), 'utf8')).toBe('mine\n')
  })

  test('a conflicting merge is a 409 listing the files, and leaves the target exactly as it was', async () => {
    const id = await runToReview("printf 'one\\nTASK\\nthree\\n' > src/app.txt")
    writeFileSync(join(repo, 'src/app.txt'), 'one\nUSER\nthree\n')
    const before = snapshotOf(repo)
    const refused = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('merge_conflict')
    expect(refused.body.error.details.files).toContain('src/app.txt')
    expect(snapshotOf(repo)).toEqual(before)
    expect((await rt.call('GET', `/tasks/${id}?events=none`)).body.status).toBe('ready-for-review')
    gitSync(repo, 'checkout', '--', 'src/app.txt')
  })

  test('merge is refused while the task runs', async () => {
    const created = await rt.call('POST', '/tasks', {
      title: 'busy',
      prompt: '',
      runner: 'shell',
      command: 'echo x > x.txt; sleep 1000',
      workspace: repo,
    })
    const id = created.body.id
    await rt.call('POST', `/tasks/${id}/start`)
    await waitFor(
      'running',
      async () => (await rt.call('GET', `/tasks/${id}?events=none`)).body.status === 'running',
    )
    const refused = await rt.call('POST', `/tasks/${id}/worktree/merge`, {})
    expect(refused.status).toBe(409)
    expect(refused.body.error.message).toContain('running')
    expect((await rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`)).status).toBe(409)
    await rt.call('POST', `/tasks/${id}/stop`)
  })

  test('cleanup archives first (force needed when unmerged); restore gives the exact files back', async () => {
    const id = await runToReview('echo keep > keep.txt && echo edit >> README.md')
    const task = (await rt.call('GET', `/tasks/${id}?events=none`)).body
    const worktree = task.worktree_path
    const refused = await rt.call('POST', `/tasks/${id}/worktree/cleanup`)
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('unmerged_changes')
    expect(existsSync(worktree)).toBe(true)
    const cleaned = await rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`)
    expect(cleaned.status).toBe(200)
    expect(cleaned.body.archive_ref).toBe(`refs/openruntime/archive/${id}`)
    expect(existsSync(worktree)).toBe(false)
    expect(gitSync(repo, 'show', `refs/openruntime/archive/${id}:keep.txt`)).toBe('keep\n')
    expect((await rt.call('POST', `/tasks/${id}/worktree/cleanup?force=true`)).status).toBe(409)
    const restored = await rt.call('POST', `/tasks/${id}/worktree/restore`)
    expect(restored.status).toBe(200)
    expect(restored.body.task.worktree_cleaned_at).toBeNull()
    expect(readFileSync(join(worktree, 'keep.txt'), 'utf8')).toBe('keep\n')
    expect(readFileSync(join(worktree, 'README.md'), 'utf8')).toBe('hello\nedit\n')
  })

  test('a task outside git runs in place only when its policy says so, says it is not isolated, and has nothing to merge', async () => {
    const plain = join(rt.dir, 'plain')
    await Bun.write(join(plain, 'a.txt'), 'a')
    const task = (policy: Record<string, unknown>) =>
      rt.call('POST', '/tasks', {
        title: 'plain',
        prompt: '',
        runner: 'shell',
        command: 'echo b > b.txt',
        workspace: plain,
        policy,
      })
    const refused = (await task({})).body.id
    const start = await rt.call('POST', `/tasks/${refused}/start`)
    expect(start.status).toBe(403)
    expect(start.body.error).toMatchObject({ code: 'policy_violation', details: { rule: 'in-place' } })
    expect((await rt.call('GET', `/tasks/${refused}`)).body.status).toBe('queued')
    expect(existsSync(join(plain, 'b.txt'))).toBe(false)

    const id = (await task({ allow_in_place: true })).body.id
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    const done = await waitFor('done', async () => {
      const t = (await rt.call('GET', `/tasks/${id}?events=all`)).body
      return t.status === 'completed' ? t : null
    })
    expect(done.worktree_path).toBeNull()
    expect(done.events.some((e: any) => e.message.includes('not isolated'))).toBe(true)
    expect(existsSync(join(plain, 'b.txt'))).toBe(true)
    expect((await rt.call('GET', `/tasks/${id}/diff`)).body.isolated).toBe(false)
    expect((await rt.call('POST', `/tasks/${id}/worktree/merge`, {})).status).toBe(409)
  })

  test('a folder with a .git that git does not take for a repository: the run is refused where it is prepared, changing nothing', async () => {
    // Nothing git could take for a repository is refused at the start (above); this one only git
    // can judge, and does when the run is prepared, before anything of it runs.
    const odd = join(rt.dir, 'odd-gitfile')
    await Bun.write(join(odd, '.git'), 'gitdir: nowhere at all\n')
    await Bun.write(join(odd, 'a.txt'), 'a')
    const id = await createShellTask(rt, odd, 'echo b > b.txt')
    expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
    const failed = await waitFor('the run to fail', async () => {
      const t = (await rt.call('GET', `/tasks/${id}?events=all`)).body
      return t.status === 'failed' ? t : null
    })
    expect(failed.worktree_path).toBeNull()
    expect(existsSync(join(odd, 'b.txt'))).toBe(false)
    // The same refusal the start gives a folder outside git, now in the run's timeline.
    expect(
      failed.events.some(
        (e: any) =>
          e.message.includes('could not prepare the workspace') &&
          e.message.includes(`(rule in-place): ${odd}`),
      ),
    ).toBe(true)
  })
})

describe('workspace settings', () => {
  test('git-ignored files matching the workspace copy globs are copied into each new worktree', async () => {
    const target = makeRepo(join(rt.dir, 'with-env'), { '.gitignore': '.env*\nbuild/\n', 'README.md': 'x\n' })
    writeFileSync(join(target, '.env.local'), 'LOCAL_SETTING=1\n')
    mkdirSync(join(target, 'build'))
    writeFileSync(join(target, 'build', 'out.bin'), 'artifact')
    const saved = await rt.call('POST', '/workspaces/settings', {
      path: target,
      copy_globs: ['.env*', ' .env* '],
    })
    expect(saved.status).toBe(200)
    expect(saved.body.copy_globs).toEqual(['.env*'])
    expect((await rt.call('GET', '/workspaces')).body.find((w: any) => w.path === target).copy_globs).toEqual(
      ['.env*'],
    )
    const created = await rt.call('POST', '/tasks', {
      title: 'env',
      prompt: '',
      runner: 'shell',
      command: 'test -f .env.local && echo env-present; test -e build/out.bin || echo build-absent',
      workspace: target,
      // Touching .env files is a secrets rule; a workspace that copies them in means to use them.
      policy: { allow_secrets: true },
    })
    const id = created.body.id
    await rt.call('POST', `/tasks/${id}/start`)
    const task = await waitFor('done', async () => {
      const t = (await rt.call('GET', `/tasks/${id}?events=all`)).body
      return t.status === 'completed' ? t : null
    })
    const output = task.events.filter((e: any) => e.kind === 'stdout').map((e: any) => e.message)
    expect(output).toEqual(['env-present', 'build-absent'])
    expect(readFileSync(join(task.worktree_path, '.env.local'), 'utf8')).toBe('LOCAL_SETTING=1\n')
  })
})
