import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { detectSandbox, normalizePolicy } from '../../src/policy'
import type { PreparedWorkspace } from '../../src/workers/isolation'
import { sandboxRun } from '../../src/workers/run-sandbox'

/**
 * The reviewer reads a run's worktree and must change nothing in it: its sandbox mounts the
 * worktree read-only (a check's sandbox, like the run's, has it writable). The attack is what a
 * reviewer talked into it would try: overwrite a file, add one, remove one.
 */

const sandbox = detectSandbox()
let root = ''
let worktree = ''

beforeAll(() => {
  // Not under /tmp: the sandbox gets a private /tmp.
  root = mkdtempSync('/var/tmp/openruntime-reviewer-')
  worktree = join(root, 'worktree')
  mkdirSync(worktree)
  writeFileSync(join(worktree, 'kept.txt'), 'the agent wrote this\n')
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const ATTACK = 'echo changed > kept.txt; echo new > added.txt; rm -f kept.txt; echo done'

async function runIn(readOnlyWorkspace: boolean) {
  const prepared: PreparedWorkspace = {
    isolated: true,
    worktreePath: worktree,
    executionDir: worktree,
    baseCommit: null,
    repoRoot: null,
    gitDir: null,
    sharedObjects: null,
    note: '',
  }
  const command = sandboxRun({
    argv: ['/bin/sh', '-c', ATTACK],
    env: { PATH: '/usr/bin:/bin', HOME: root },
    policy: normalizePolicy({}),
    workspace: worktree,
    prepared,
    stateDirs: [],
    sandbox,
    dataDir: join(root, 'data'),
    readOnlyWorkspace,
  })
  expect(command.active).toBe(true)
  const child = Bun.spawn(command.argv, { stdout: 'pipe', stderr: 'pipe', env: { PATH: '/usr/bin:/bin' } })
  const [stdout, stderr] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ])
  await child.exited
  return { stdout, stderr }
}

describe.skipIf(!sandbox.available)('the reviewer’s sandbox', () => {
  test('the worktree is read-only: nothing can be changed, added or removed', async () => {
    const { stdout, stderr } = await runIn(true)
    expect(stdout).toBe('done\n')
    expect(stderr).toContain('Read-only file system')
    expect(readFileSync(join(worktree, 'kept.txt'), 'utf8')).toBe('the agent wrote this\n')
    expect(existsSync(join(worktree, 'added.txt'))).toBe(false)
  })

  test('the same attack in a run’s (or a check’s) sandbox does change the worktree: the test can fail', async () => {
    await runIn(false)
    expect(existsSync(join(worktree, 'kept.txt'))).toBe(false)
    expect(readFileSync(join(worktree, 'added.txt'), 'utf8')).toBe('new\n')
  })
})
