import { describe, expect, test } from 'bun:test'
import { chownSync, existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../src/errors.ts'
import { captureDiff, prepareWorkspace } from '../../src/git/index.ts'
import { checkoutFor, gitSync, makeRepo, read, scratchSpace, status, write } from './helpers.ts'

const dir = scratchSpace()

describe('prepareWorkspace', () => {
  test('a directory outside any repository runs unisolated, and says so', async () => {
    const plain = dir('plain')
    const prepared = await prepareWorkspace({ taskId: crypto.randomUUID(), workspace: plain })
    expect(prepared).toMatchObject({
      isolated: false,
      worktreePath: null,
      executionDir: plain,
      baseCommit: null,
    })
    expect(prepared.note).toContain('not a git repository')
  })

  test('a nested subdirectory workspace runs in the same subdirectory of a whole-repo worktree', async () => {
    const repo = makeRepo(dir('nested'), { 'README.md': 'root\n', 'frontend/src/app.ts': 'export {}\n' })
    const head = gitSync(repo, 'rev-parse', 'HEAD').trim()
    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: join(repo, 'frontend') })

    const worktree = join(repo, '.openruntime', 'worktrees', taskId)
    expect(prepared).toMatchObject({
      isolated: true,
      worktreePath: worktree,
      executionDir: join(worktree, 'frontend'),
      baseCommit: head,
      repoRoot: repo,
      branch: `openruntime/${taskId.slice(0, 8)}`,
    })
    expect(read(worktree, 'frontend/src/app.ts')).toBe('export {}\n')
    expect(gitSync(worktree, 'symbolic-ref', '--short', 'HEAD').trim()).toBe(prepared.branch as string)
    // The worktree lives inside the user's checkout but never shows up in its status.
    expect(readFileSync(join(repo, '.git', 'info', 'exclude'), 'utf8')).toContain('.openruntime/\n')
    expect(status(repo)).toEqual([])
  })

  test('an untracked workspace subdirectory still gets an execution dir to start in', async () => {
    const repo = makeRepo(dir('untracked-sub'))
    write(repo, 'scratchpad/notes.txt', 'not committed\n')
    const prepared = await prepareWorkspace({
      taskId: crypto.randomUUID(),
      workspace: join(repo, 'scratchpad'),
    })
    expect(prepared.executionDir).toBe(join(prepared.worktreePath as string, 'scratchpad'))
    expect(existsSync(prepared.executionDir)).toBe(true)
  })

  test('a restart reuses the worktree with the work in it', async () => {
    const repo = makeRepo(dir('reuse'))
    const taskId = crypto.randomUUID()
    const first = await prepareWorkspace({ taskId, workspace: repo })
    const worktree = first.worktreePath as string
    write(worktree, 'progress.txt', 'half done\n')
    gitSync(repo, 'commit', '-q', '--allow-empty', '-m', 'the user moves on')

    const again = await prepareWorkspace({
      taskId,
      workspace: repo,
      existing: { worktreePath: worktree, executionDir: first.executionDir, baseCommit: first.baseCommit },
    })
    expect(again).toMatchObject({
      worktreePath: worktree,
      baseCommit: first.baseCommit,
      branch: first.branch,
    })
    expect(again.note).toContain('reusing')
    expect(read(worktree, 'progress.txt')).toBe('half done\n')
  })

  test('a worktree directory deleted behind our back is re-created from its branch', async () => {
    const repo = makeRepo(dir('readd'))
    const taskId = crypto.randomUUID()
    const first = await prepareWorkspace({ taskId, workspace: repo })
    const worktree = first.worktreePath as string
    write(worktree, 'agent.txt', 'committed by the agent\n')
    gitSync(worktree, 'add', 'agent.txt')
    gitSync(worktree, 'commit', '-q', '-m', 'agent work')
    rmSync(worktree, { recursive: true, force: true })

    const again = await prepareWorkspace({
      taskId,
      workspace: repo,
      existing: { worktreePath: worktree, baseCommit: first.baseCommit },
    })
    expect(again.note).toContain('re-created')
    expect(again.branch).toBe(first.branch)
    expect(read(worktree, 'agent.txt')).toBe('committed by the agent\n')
    const diff = await captureDiff({
      checkout: await checkoutFor(repo, taskId),
      baseCommit: again.baseCommit,
    })
    expect(diff.files.map((file) => file.path)).toEqual(['agent.txt'])
  })

  test('a first run whose branch name is already taken (a leftover of an old database) checks that branch out', async () => {
    const repo = makeRepo(dir('leftover-branch'), { 'a.txt': 'one\n' })
    const taskId = crypto.randomUUID()
    const branch = `openruntime/${taskId.slice(0, 8)}`
    const head = gitSync(repo, 'rev-parse', 'HEAD').trim()
    gitSync(repo, 'branch', branch)
    write(repo, 'a.txt', 'two\n')
    write(repo, 'only-in-head.txt', 'new\n')
    gitSync(repo, 'add', '-A')
    gitSync(repo, 'commit', '-qm', 'user moves on')
    const prepared = await prepareWorkspace({ taskId, workspace: repo })
    expect(prepared).toMatchObject({ isolated: true, branch, baseCommit: head })
    expect(prepared.note).toContain('re-created worktree')
    const worktree = prepared.worktreePath as string
    expect(read(worktree, 'a.txt')).toBe('one\n')
    // Nothing of the HEAD the first checkout started from is left beside the branch's files.
    expect(existsSync(join(worktree, 'only-in-head.txt'))).toBe(false)
    expect(gitSync(worktree, 'status', '--porcelain')).toBe('')
  })

  test('ignored files matching the globs are copied into a new worktree, nothing else', async () => {
    const repo = makeRepo(dir('ignored'), {
      '.gitignore': '.env*\nnode_modules/\n*.log\n',
      'app/main.ts': '\n',
    })
    write(repo, '.env', 'TOKEN=1\n')
    write(repo, 'app/.env.local', 'LOCAL=1\n')
    write(repo, 'node_modules/dep/index.js', 'module.exports = 1\n')
    write(repo, 'debug.log', 'noise\n')
    const prepared = await prepareWorkspace({
      taskId: crypto.randomUUID(),
      workspace: repo,
      copyIgnoredGlobs: ['.env*'],
    })
    const worktree = prepared.worktreePath as string
    expect(read(worktree, '.env')).toBe('TOKEN=1\n')
    expect(read(worktree, 'app/.env.local')).toBe('LOCAL=1\n')
    expect(existsSync(join(worktree, 'node_modules'))).toBe(false)
    expect(existsSync(join(worktree, 'debug.log'))).toBe(false)
    // Copied ignored files are not task changes.
    const checkout = await checkoutFor(repo, prepared.worktreePath?.split('/').pop() as string)
    expect((await captureDiff({ checkout, baseCommit: prepared.baseCommit })).has_changes).toBe(false)
  })

  test('a linked worktree as workspace (.git is a file) is isolated too', async () => {
    const main = makeRepo(dir('linked-main'), { 'lib/a.txt': 'a\n' })
    const linked = join(dir('linked-parent'), 'linked')
    gitSync(main, 'worktree', 'add', '-q', '-b', 'feature', linked)
    expect(readFileSync(join(linked, '.git'), 'utf8')).toStartWith('gitdir:')

    const taskId = crypto.randomUUID()
    const prepared = await prepareWorkspace({ taskId, workspace: join(linked, 'lib') })
    expect(prepared).toMatchObject({
      isolated: true,
      repoRoot: linked,
      worktreePath: join(linked, '.openruntime', 'worktrees', taskId),
      baseCommit: gitSync(linked, 'rev-parse', 'HEAD').trim(),
    })
    expect(prepared.executionDir).toBe(join(prepared.worktreePath as string, 'lib'))
    // The exclude lives in the shared git dir, so both checkouts stay clean.
    expect(readFileSync(join(main, '.git', 'info', 'exclude'), 'utf8')).toContain('.openruntime/')
    expect(status(linked)).toEqual([])
    expect(status(main)).toEqual([])
  })

  test('info/exclude is created when the repository has no info/ directory', async () => {
    const repo = makeRepo(dir('no-info'))
    rmSync(join(repo, '.git', 'info'), { recursive: true, force: true })
    await prepareWorkspace({ taskId: crypto.randomUUID(), workspace: repo })
    expect(readFileSync(join(repo, '.git', 'info', 'exclude'), 'utf8')).toBe('.openruntime/\n')
    expect(status(repo)).toEqual([])
  })

  test('a repository without commits gets a worktree without writing to the user branch', async () => {
    const repo = dir('empty-repo')
    gitSync(repo, 'init', '-q', '-b', 'main')
    const prepared = await prepareWorkspace({ taskId: crypto.randomUUID(), workspace: repo })
    expect(prepared.isolated).toBe(true)
    expect(gitSync(repo, 'rev-parse', `${prepared.baseCommit}^{tree}`).trim()).toBe(
      gitSync(repo, 'hash-object', '-t', 'tree', '/dev/null').trim(),
    )
    // The user's branch is still unborn: nothing was committed to it.
    expect(() => gitSync(repo, 'rev-parse', '--verify', 'HEAD')).toThrow()

    write(prepared.worktreePath as string, 'first.txt', 'hello\n')
    const diff = await captureDiff({
      checkout: await checkoutFor(repo, prepared.worktreePath?.split('/').pop() as string),
      baseCommit: prepared.baseCommit,
    })
    expect(diff.files).toEqual([
      { path: 'first.txt', status: 'added', additions: 1, deletions: 0, binary: false },
    ])
  })

  test.skipIf(process.getuid?.() !== 0)(
    'a repository git distrusts (dubious ownership) fails instead of running unisolated',
    async () => {
      const repo = makeRepo(dir('dubious'))
      chownSync(join(repo, '.git'), 65534, 65534)
      chownSync(repo, 65534, 65534)
      const failure = await prepareWorkspace({ taskId: crypto.randomUUID(), workspace: repo }).catch(
        (error) => error,
      )
      expect(failure).toBeInstanceOf(AppError)
      expect(failure).toMatchObject({ kind: 'precondition' })
      expect(failure.message).toContain('dubious ownership')
    },
  )

  test("a worktree an older openRuntime made (linked, metadata in the user's .git) gets a git directory of its own", async () => {
    const repo = makeRepo(dir('legacy'), { 'a.txt': 'one\n' })
    const taskId = crypto.randomUUID()
    const worktree = join(repo, '.openruntime', 'worktrees', taskId)
    const base = gitSync(repo, 'rev-parse', 'HEAD').trim()
    gitSync(repo, 'worktree', 'add', '-q', '-b', `openruntime/${taskId.slice(0, 8)}`, worktree, 'HEAD')
    write(worktree, 'a.txt', 'edited by the old run\n')
    write(worktree, 'new.txt', 'untracked\n')

    const again = await prepareWorkspace({
      taskId,
      workspace: repo,
      existing: { worktreePath: worktree, baseCommit: base },
    })
    expect(again.note).toContain('given a git directory of its own')
    expect(readFileSync(join(worktree, '.git'), 'utf8')).toBe(`gitdir: ${again.gitDir}\n`)
    expect(existsSync(join(repo, '.git', 'worktrees', taskId))).toBe(false)
    expect(read(worktree, 'a.txt')).toBe('edited by the old run\n')
    const diff = await captureDiff({ checkout: await checkoutFor(repo, taskId), baseCommit: base })
    expect(diff.files.map((file) => file.path).sort()).toEqual(['a.txt', 'new.txt'])
    expect(status(worktree)).toEqual([' M a.txt', '?? new.txt'])
  })

  test('bad task ids and missing workspaces are rejected as invalid', async () => {
    const repo = makeRepo(dir('bad-input'))
    await expect(prepareWorkspace({ taskId: '../escape', workspace: repo })).rejects.toMatchObject({
      kind: 'invalid',
    })
    await expect(
      prepareWorkspace({ taskId: 'ok-id', workspace: join(repo, 'missing') }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      code: 'path_not_found',
    })
  })
})
