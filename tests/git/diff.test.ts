import { describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { captureDiff, hasTaskChanges, prepareWorkspace } from '../../src/git/index.ts'
import { checkoutFor, gitSync, makeRepo, scratchSpace, status, write } from './helpers.ts'

const dir = scratchSpace()

async function taskOn(repo: string) {
  const taskId = crypto.randomUUID()
  const prepared = await prepareWorkspace({ taskId, workspace: repo })
  return {
    worktree: prepared.worktreePath as string,
    base: prepared.baseCommit,
    checkout: await checkoutFor(repo, taskId),
  }
}

const indexBytes = (worktree: string) =>
  readFileSync(gitSync(worktree, 'rev-parse', '--path-format=absolute', '--git-path', 'index').trim())

describe('captureDiff', () => {
  test('covers commits, staged, unstaged, untracked, deleted, renamed and binary changes against the base', async () => {
    const renamed = Array.from({ length: 20 }, (_, i) => `stable line ${i}\n`).join('')
    const repo = makeRepo(dir('mixed'), {
      'committed.txt': 'one\n',
      'staged.txt': 'two\n',
      'unstaged.txt': 'three\n',
      'gone.txt': 'bye\n',
      'old-name.txt': renamed,
    })
    const { worktree, base, checkout } = await taskOn(repo)
    write(worktree, 'committed.txt', 'one\nplus one\n')
    gitSync(worktree, 'commit', '-q', '-am', 'agent commit')
    write(worktree, 'staged.txt', 'TWO\n')
    gitSync(worktree, 'add', 'staged.txt')
    write(worktree, 'unstaged.txt', 'three\nfour\nfive\n')
    write(worktree, 'fresh/untracked.txt', 'a\nb\n')
    write(worktree, 'image.bin', new Uint8Array([0, 1, 2, 255, 0, 7]))
    rmSync(join(worktree, 'gone.txt'))
    gitSync(worktree, 'mv', 'old-name.txt', 'new-name.txt')
    const statusBefore = status(worktree)
    const indexBefore = indexBytes(worktree)

    const diff = await captureDiff({ checkout, baseCommit: base })

    const byPath = Object.fromEntries(diff.files.map((file) => [file.path, file]))
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'committed.txt',
        'fresh/untracked.txt',
        'gone.txt',
        'image.bin',
        'new-name.txt',
        'staged.txt',
        'unstaged.txt',
      ].sort(),
    )
    expect(byPath['committed.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 0 })
    expect(byPath['staged.txt']).toMatchObject({ status: 'modified', additions: 1, deletions: 1 })
    expect(byPath['unstaged.txt']).toMatchObject({ status: 'modified', additions: 2, deletions: 0 })
    expect(byPath['fresh/untracked.txt']).toMatchObject({ status: 'added', additions: 2, binary: false })
    expect(byPath['gone.txt']).toMatchObject({ status: 'deleted', deletions: 1 })
    expect(byPath['new-name.txt']).toMatchObject({
      status: 'renamed',
      old_path: 'old-name.txt',
      additions: 0,
    })
    expect(byPath['image.bin']).toMatchObject({ status: 'added', binary: true, additions: 0, deletions: 0 })
    expect(diff.additions).toBe(diff.files.reduce((sum, file) => sum + file.additions, 0))
    expect(diff.deletions).toBe(diff.files.reduce((sum, file) => sum + file.deletions, 0))
    expect(diff.has_changes).toBe(true)
    expect(diff.truncated).toBe(false)

    expect(diff.patch).toContain('+plus one')
    expect(diff.patch).toContain('+++ b/fresh/untracked.txt')
    expect(diff.patch).toContain('Binary files /dev/null and b/image.bin differ')
    expect(diff.patch).not.toContain('\u0000')
    for (const path of Object.keys(byPath)) expect(diff.stat).toContain(path.split('/').pop() as string)

    // Reading the diff left the agent's index and status alone.
    expect(indexBytes(worktree).equals(indexBefore)).toBe(true)
    expect(status(worktree)).toEqual(statusBefore)
    expect(await hasTaskChanges(checkout, base)).toBe(true)
  })

  test('a clean worktree has no changes and an empty patch', async () => {
    const repo = makeRepo(dir('clean'))
    const { base, checkout } = await taskOn(repo)
    const diff = await captureDiff({ checkout, baseCommit: base })
    expect(diff).toMatchObject({
      patch: '',
      files: [],
      additions: 0,
      deletions: 0,
      has_changes: false,
      truncated: false,
    })
    expect(await hasTaskChanges(checkout, base)).toBe(false)
  })

  test('an edit that is reverted before capture is not a change', async () => {
    const repo = makeRepo(dir('reverted'), { 'a.txt': 'a\n' })
    const { worktree, base, checkout } = await taskOn(repo)
    write(worktree, 'a.txt', 'b\n')
    gitSync(worktree, 'commit', '-q', '-am', 'change')
    write(worktree, 'a.txt', 'a\n')
    expect((await captureDiff({ checkout, baseCommit: base })).has_changes).toBe(false)
  })

  test('a huge patch is cut at maxPatchBytes on a line end, with a marker', async () => {
    const repo = makeRepo(dir('huge'))
    const { worktree, base, checkout } = await taskOn(repo)
    const body = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(60)}\n`).join('')
    write(worktree, 'big.txt', body)
    const full = await captureDiff({ checkout, baseCommit: base })
    const cut = await captureDiff({ checkout, baseCommit: base, maxPatchBytes: 10_000 })

    expect(full.truncated).toBe(false)
    expect(cut.truncated).toBe(true)
    const [kept, marker] = [
      cut.patch.slice(0, cut.patch.lastIndexOf('[openRuntime')),
      cut.patch.slice(cut.patch.lastIndexOf('[openRuntime')),
    ]
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(10_000)
    expect(kept.endsWith('\n')).toBe(true)
    expect(full.patch.startsWith(kept)).toBe(true)
    expect(marker).toContain('patch truncated')
    expect(cut.files).toEqual(full.files)
  })

  // Kept small so the suite stays quick on a busy disk; the same code handles 20,000 files with
  // 2,000 changed in about a second (a fixed number of git processes, none per file).
  test('a larger repository: 1,000 files with 100 changed', async () => {
    const repo = dir('large')
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(repo, `d${d}`))
      for (let f = 0; f < 100; f++)
        writeFileSync(join(repo, `d${d}`, `f${f}.txt`), `file ${d}/${f}\nline two\n`)
    }
    gitSync(repo, 'init', '-q', '-b', 'main')
    gitSync(repo, 'add', '-A')
    gitSync(repo, 'commit', '-q', '-m', 'large')
    const { worktree, base, checkout } = await taskOn(repo)
    const changed = new Set<string>()
    for (let d = 0; d < 10; d++) {
      for (let f = 0; f < 10; f++) {
        writeFileSync(join(worktree, `d${d}`, `f${f * 10}.txt`), `changed ${d}/${f}\n`)
        changed.add(`d${d}/f${f * 10}.txt`)
      }
    }
    const diff = await captureDiff({ checkout, baseCommit: base })
    expect(new Set(diff.files.map((file) => file.path))).toEqual(changed)
    expect(diff.additions).toBe(changed.size)
    expect(diff.deletions).toBe(2 * changed.size)
  }, 60_000)
})
