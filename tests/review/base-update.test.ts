import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type AgentRuntime, startAgentRuntime } from '../support/agent-runtime'
import { gitSync, makeRepo } from '../support/git-repo'
import { hashTree } from './worktree-hash'

let env: AgentRuntime
let n = 0

beforeAll(async () => {
  env = await startAgentRuntime()
})
afterAll(() => env?.close())

const GIT_WRITE = { allow_git_write: true }
const COMMIT = 'git -c user.name=Agent -c user.email=agent@example.com commit -qam'

function freshRepo(files: Record<string, string>) {
  return makeRepo(join(env.scratch, `repo-${++n}`), files)
}

/** A shell task run to review in `repo`. */
async function shellTask(repo: string, command: string, policy: Record<string, unknown> = GIT_WRITE) {
  const id = await env.api.create({ runner: 'shell', command, workspace: repo, policy })
  await env.api.run(id)
  const task = await env.api.settled(id)
  expect(task.status).toBe('ready-for-review')
  return task
}

/** The target moves: a commit on the user's checkout. */
function commitOnTarget(repo: string, path: string, content: string) {
  mkdirSync(join(repo, path, '..'), { recursive: true })
  writeFileSync(join(repo, path), content)
  gitSync(repo, 'add', path)
  gitSync(repo, 'commit', '-qm', `target: ${path}`)
  return gitSync(repo, 'rev-parse', 'HEAD').trim()
}

const base = async (id: string) => (await env.rt.call('GET', `/tasks/${id}/base`)).body
const update = (id: string, mode: 'rebase' | 'merge') =>
  env.rt.call('POST', `/tasks/${id}/update-from-base`, { mode })
/** git status as the run sees it: its own git directory, through the worktree's .git. */
const runStatus = (worktree: string) => gitSync(worktree, 'status', '--porcelain=v1', '-uall')
const branchOf = (id: string) => `openruntime/${id.slice(0, 8)}`

describe('update from base', () => {
  test('rebase replays the task commits on the moved target and keeps the uncommitted part', async () => {
    const repo = freshRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' })
    const task = await shellTask(repo, `echo task-a > a.txt && ${COMMIT} 'task: a' && echo new > c.txt`)
    const target = commitOnTarget(repo, 'b.txt', 'b from target\n')
    expect(await base(task.id)).toMatchObject({
      behind: 1,
      target_commit: target,
      target_ref: 'main',
      update: null,
    })

    const updated = await update(task.id, 'rebase')
    expect(updated.body.error ?? null).toBeNull()
    expect(updated.body).toMatchObject({ status: 'updated', task: { base_commit: target } })
    const wt = task.worktree_path
    expect(readFileSync(join(wt, 'a.txt'), 'utf8')).toBe('task-a\n')
    expect(readFileSync(join(wt, 'b.txt'), 'utf8')).toBe('b from target\n')
    expect(readFileSync(join(wt, 'c.txt'), 'utf8')).toBe('new\n')
    const branch = branchOf(task.id)
    // One replayed commit on the target, its author and message kept.
    expect(gitSync(repo, 'rev-parse', `${branch}^`).trim()).toBe(target)
    expect(gitSync(repo, 'log', '-1', '--format=%an <%ae> %s', branch).trim()).toBe(
      'Agent <agent@example.com> task: a',
    )
    // The run's own git sees the new branch: only the uncommitted file is pending.
    expect(runStatus(wt)).toBe('?? c.txt\n')
    expect((await base(task.id)).behind).toBe(0)
    const diff = (await env.rt.call('GET', `/tasks/${task.id}/diff`)).body
    expect(diff.files.map((file: any) => file.path).sort()).toEqual(['a.txt', 'c.txt'])
    // Nothing further to bring in.
    expect((await update(task.id, 'rebase')).body.status).toBe('up-to-date')
  })

  test('merge joins the task branch and the target with a merge commit', async () => {
    const repo = freshRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' })
    const task = await shellTask(repo, `echo task-a > a.txt && ${COMMIT} 'task: a'`)
    const oldTip = gitSync(repo, 'rev-parse', branchOf(task.id)).trim()
    const target = commitOnTarget(repo, 'b.txt', 'b from target\n')
    const updated = await update(task.id, 'merge')
    expect(updated.body.status).toBe('updated')
    const parents = gitSync(repo, 'log', '-1', '--format=%P', branchOf(task.id)).trim().split(' ')
    expect(parents).toEqual([oldTip, target])
    expect(readFileSync(join(task.worktree_path, 'b.txt'), 'utf8')).toBe('b from target\n')
    expect(runStatus(task.worktree_path)).toBe('')
  })

  test('a conflict leaves markers and is listed; abort puts the worktree back byte for byte', async () => {
    const repo = freshRepo({ 'a.txt': 'one\n', 'keep.txt': 'k\n' })
    const task = await shellTask(
      repo,
      `echo task-committed > keep.txt && ${COMMIT} 'task: keep' && echo task-side > a.txt && echo untracked > u.txt && mkdir -p d && echo secret > d/private.txt && chmod 600 d/private.txt`,
    )
    const wt = task.worktree_path
    chmodSync(join(wt, 'a.txt'), 0o640)
    const before = {
      files: hashTree(wt),
      status: runStatus(wt),
      tip: gitSync(repo, 'rev-parse', branchOf(task.id)),
    }
    const gitDir = readFileSync(join(wt, '.git'), 'utf8').replace('gitdir: ', '').trim()
    const gitDirBefore = hashTree(gitDir)
    const target = commitOnTarget(repo, 'a.txt', 'target-side\n')
    commitOnTarget(repo, 'newdir/deeper/file.txt', 'x\n')

    const refused = await update(task.id, 'rebase')
    expect(refused.status).toBe(409)
    expect(refused.body.error.code).toBe('update_conflict')
    expect(refused.body.error.details.files).toEqual(['a.txt'])
    const marked = readFileSync(join(wt, 'a.txt'), 'utf8')
    expect(marked).toContain('<<<<<<< ')
    expect(marked).toContain('target-side')
    expect(marked).toContain('task-side')
    expect(await base(task.id)).toMatchObject({
      base_commit: expect.any(String),
      update: { mode: 'rebase', phase: 'conflicted', files: ['a.txt'], unresolved: ['a.txt'] },
    })
    const merge = await env.rt.call('POST', `/tasks/${task.id}/worktree/merge`, {})
    expect(merge.status).toBe(409)
    expect(merge.body.error.code).toBe('update_in_progress')
    expect((await update(task.id, 'merge')).body.error.code).toBe('update_in_progress')

    const aborted = await env.rt.call('POST', `/tasks/${task.id}/update-from-base/abort`)
    expect(aborted.status).toBe(200)
    expect(hashTree(wt)).toEqual(before.files)
    expect(runStatus(wt)).toBe(before.status)
    expect(hashTree(gitDir)).toEqual(gitDirBefore)
    expect(gitSync(repo, 'rev-parse', branchOf(task.id))).toBe(before.tip)
    expect(await base(task.id)).toMatchObject({ base_commit: task.base_commit, update: null, behind: 2 })
    expect(target).not.toBe(task.base_commit)
    const again = await env.rt.call('POST', `/tasks/${task.id}/update-from-base/abort`)
    expect(again.body.error.code).toBe('no_update_in_progress')
  })

  test('merge of conflicting commits: the commits come along uncommitted on the target, abort restores the branch', async () => {
    const repo = freshRepo({ 'a.txt': 'one\n' })
    const task = await shellTask(repo, `echo task-side > a.txt && ${COMMIT} 'task: a'`)
    const wt = task.worktree_path
    const before = {
      files: hashTree(wt),
      status: runStatus(wt),
      tip: gitSync(repo, 'rev-parse', branchOf(task.id)),
    }
    const target = commitOnTarget(repo, 'a.txt', 'target-side\n')
    const refused = await update(task.id, 'merge')
    expect(refused.body.error).toMatchObject({
      code: 'update_conflict',
      details: { files: ['a.txt'], mode: 'merge' },
    })
    expect(await base(task.id)).toMatchObject({
      base_commit: target,
      update: { mode: 'merge', flattened: true },
    })
    expect(gitSync(repo, 'rev-parse', branchOf(task.id)).trim()).toBe(target)
    expect((await env.rt.call('POST', `/tasks/${task.id}/update-from-base/abort`)).status).toBe(200)
    expect(hashTree(wt)).toEqual(before.files)
    expect(runStatus(wt)).toBe(before.status)
    expect(gitSync(repo, 'rev-parse', branchOf(task.id))).toBe(before.tip)
  })

  test('the agent resolves a conflict through a follow-up describing it', async () => {
    const repo = freshRepo({ 'a.txt': 'one\n' })
    const id = await env.api.create({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file a.txt agent version',
      workspace: repo,
    })
    await env.api.run(id)
    const task = await env.api.settled(id)
    expect(task.status).toBe('ready-for-review')
    const target = commitOnTarget(repo, 'a.txt', 'target version\n')
    expect((await update(id, 'rebase')).body.error.details.files).toEqual(['a.txt'])

    const asked = await env.rt.call('POST', `/tasks/${id}/update-from-base/resolve`, {
      note: 'SCRIPT:write-file a.txt agent and target version',
    })
    expect(asked.status).toBe(200)
    expect(asked.body.message).toContain('left conflicts in 1 file(s): a.txt')
    expect(asked.body.message).toContain('| <<<<<<< ')
    expect(asked.body.message).toContain('target version')
    expect(asked.body.message).toContain('agent version')
    const done = await env.api.settled(id)
    expect(done.status).toBe('ready-for-review')
    expect(readFileSync(join(done.worktree_path, 'a.txt'), 'utf8')).toBe('agent and target version\n')
    expect(env.promptsFrom(done.worktree_path)).toContain(asked.body.message)
    expect(await base(id)).toMatchObject({ base_commit: target, behind: 0, update: null })
    const diff = (await env.rt.call('GET', `/tasks/${id}/diff`)).body
    expect(diff.patch).toContain('-target version')
    expect(diff.patch).toContain('+agent and target version')
  })

  test('hooks and configuration a run wrote are not run by the update', async () => {
    const repo = freshRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' })
    const marker = join(env.scratch, `hook-ran-${n}`)
    const hook = `#!/bin/sh\\necho ran > ${marker}\\n`
    const task = await shellTask(
      repo,
      [
        'g=$(git rev-parse --git-dir)',
        'mkdir -p "$g/hooks" hooks',
        `for h in post-checkout post-merge post-rewrite post-commit pre-commit reference-transaction; do printf '${hook}' > "$g/hooks/$h"; printf '${hook}' > "hooks/$h"; chmod +x "$g/hooks/$h" "hooks/$h"; done`,
        `printf '${hook}' > fsmon && chmod +x fsmon`,
        'git config core.hooksPath "$PWD/hooks" && git config core.fsmonitor "$PWD/fsmon"',
        "printf '* filter=evil\\n' > .gitattributes",
        `git config filter.evil.smudge "sh -c 'echo ran > ${marker}'"`,
        `echo task > a.txt && ${COMMIT} 'task: a'`,
      ].join(' && '),
      { allow_git_write: true, network_mode: 'enabled', allow_secrets: true },
    )
    // The run's own commit ran its hooks (inside the run): only what the server does counts here.
    rmSync(marker, { force: true })
    commitOnTarget(repo, 'b.txt', 'b from target\n')
    expect((await update(task.id, 'rebase')).body.status).toBe('updated')
    expect(readFileSync(join(task.worktree_path, 'b.txt'), 'utf8')).toBe('b from target\n')
    expect(existsSync(marker)).toBe(false)
  })
})
