import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tasksApi } from '../runners/api'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { tempDir } from '../support/temp'

let rt: TestRuntime
let bin = ''
let repo = ''
let remote = ''
let argvLog = ''
const PR_URL = 'https://forge.invalid/acme/repo/pull/7'
const SYSTEM_PATH = '/usr/local/bin:/usr/bin:/bin'

/** A stand-in `gh` that records the command line it opens a request with (NUL-separated arguments) and prints a URL. */
function standInGh(dir: string, log: string): void {
  mkdirSync(dir, { recursive: true })
  const script = `#!/bin/sh
case "$1" in
  --version) echo "gh version 9.9.9 (stand-in)"; exit 0 ;;
  auth) exit 0 ;;
esac
for arg in "$@"; do printf '%s\\0' "$arg" >> '${log}'; done
echo "Creating pull request for feature/x"
echo "${PR_URL}"
`
  writeFileSync(join(dir, 'gh'), script)
  chmodSync(join(dir, 'gh'), 0o755)
}

const scratch = tempDir()

beforeAll(async () => {
  bin = join(scratch.path, 'bin')
  argvLog = join(scratch.path, 'gh-argv.log')
  standInGh(bin, argvLog)
  rt = await startTestRuntime({ PATH: `${bin}:${SYSTEM_PATH}` })
  repo = makeRepo(join(rt.dir, 'repo'), { 'a.txt': 'a\n' })
  remote = join(rt.dir, 'remote.git')
  gitSync(rt.dir, 'init', '-q', '--bare', remote)
  gitSync(repo, 'remote', 'add', 'origin', remote)
})
afterAll(async () => {
  await rt?.close()
  scratch.cleanup()
})

async function shellTask(command: string, extra: Record<string, unknown> = {}) {
  const api = tasksApi(rt)
  const id = await api.create({
    title: 'Tidy a.txt',
    runner: 'shell',
    command,
    workspace: repo,
    policy: { allow_git_write: true },
    ...extra,
  })
  await api.run(id)
  const task = await api.settled(id)
  expect(task.status).toBe('ready-for-review')
  return task
}

const COMMIT = 'git -c user.name=Agent -c user.email=agent@example.com commit -qam'

describe('push and pull request', () => {
  test('push sends the branch, uncommitted changes committed first, to a local bare remote', async () => {
    const task = await shellTask(`echo tidy > a.txt && ${COMMIT} 'task: tidy' && echo fresh > new.txt`, {
      checks: [{ name: 'a.txt kept', command: 'grep -q tidy a.txt', timeout_seconds: 60 }],
    })
    for (const [body, code] of [
      [{ remote: 'nowhere' }, 'unknown_remote'],
      [{ remote: 'origin', branch: '-delete' }, 'invalid_request'],
      [{ remote: 'origin', branch: 'a..b' }, 'invalid_request'],
      [{ remote: 'origin', force: true }, 'invalid_request'],
    ] as const) {
      const refused = await rt.call('POST', `/tasks/${task.id}/push`, body)
      expect(refused.status).toBe(400)
      expect(refused.body.error.code).toBe(code)
    }
    const pushed = await rt.call('POST', `/tasks/${task.id}/push`, { remote: 'origin', branch: 'feature/x' })
    expect(pushed.body.error ?? null).toBeNull()
    expect(pushed.body).toMatchObject({ remote: 'origin', branch: 'feature/x', committed: true })
    const onRemote = (path: string) => gitSync(rt.dir, `--git-dir=${remote}`, 'show', `feature/x:${path}`)
    expect(onRemote('a.txt')).toBe('tidy\n')
    expect(onRemote('new.txt')).toBe('fresh\n')
    expect(gitSync(rt.dir, `--git-dir=${remote}`, 'rev-parse', 'feature/x').trim()).toBe(pushed.body.commit)
    expect(
      gitSync(rt.dir, `--git-dir=${remote}`, 'log', '--format=%s', 'feature/x').split('\n').slice(0, 2),
    ).toEqual(['Tidy a.txt', 'task: tidy'])
    // The run's own git now sees everything committed.
    expect(gitSync(task.worktree_path, 'status', '--porcelain')).toBe('')

    // gh is on PATH and signed in; glab is not there.
    const integrations = (await rt.call('GET', '/integrations')).body
    expect(integrations.find((tool: any) => tool.name === 'gh')).toMatchObject({
      available: true,
      signed_in: true,
      version: 'gh version 9.9.9 (stand-in)',
    })
    expect(integrations.find((tool: any) => tool.name === 'glab')).toMatchObject({
      available: false,
      reason: 'glab is not on PATH',
    })

    const opened = await rt.call('POST', `/tasks/${task.id}/pull-request`, {})
    expect(opened.body.error ?? null).toBeNull()
    expect(opened.body).toMatchObject({ url: PR_URL, tool: 'gh', head: 'feature/x', base: 'main' })
    expect(opened.body.task.pull_request_url).toBe(PR_URL)
    const summary = task.current_attempt.summary
    expect(summary).toBeString()
    // The latest checks' verdicts are in the body, one line each.
    const checks = '## Checks\n\n- a.txt kept: passed (exit status: 0)'
    const body = `${task.command}\n\n## Summary\n\n${summary}\n\n${checks}\n\nOpened from openRuntime task ${task.id}.`
    expect(readFileSync(argvLog, 'utf8').split('\0').slice(0, -1)).toEqual([
      'pr',
      'create',
      '--head',
      'feature/x',
      '--base',
      'main',
      '--title',
      'Tidy a.txt',
      '--body',
      body,
    ])
    expect((await rt.call('GET', `/tasks/${task.id}?events=none`)).body.pull_request_url).toBe(PR_URL)
  })

  test("a run's hooks and remote configuration do not steer the push", async () => {
    const marker = join(rt.dir, 'push-hook-ran')
    const decoy = join(rt.dir, 'decoy.git')
    gitSync(rt.dir, 'init', '-q', '--bare', decoy)
    const hook = `#!/bin/sh\\necho ran > ${marker}\\n`
    const task = await shellTask(
      [
        'g=$(git rev-parse --git-dir)',
        'mkdir -p "$g/hooks"',
        `for h in pre-push post-commit reference-transaction; do printf '${hook}' > "$g/hooks/$h"; chmod +x "$g/hooks/$h"; done`,
        `git config remote.origin.url ${decoy} && git config remote.origin.pushurl ${decoy}`,
        `git config url.${decoy}.insteadOf ${remote} && git config core.hooksPath "$g/hooks"`,
        'echo attack > a.txt',
      ].join(' && '),
    )
    expect(existsSync(marker)).toBe(false)
    const pushed = await rt.call('POST', `/tasks/${task.id}/push`, {
      remote: 'origin',
      branch: 'feature/attack',
    })
    expect(pushed.status).toBe(200)
    expect(gitSync(rt.dir, `--git-dir=${remote}`, 'show', 'feature/attack:a.txt')).toBe('attack\n')
    expect(gitSync(rt.dir, `--git-dir=${decoy}`, 'for-each-ref')).toBe('')
    expect(existsSync(marker)).toBe(false)
  })
  test('without gh or glab a pull request is refused with 412', async () => {
    const task = await shellTask('echo x > x.txt')
    expect(
      (await rt.call('POST', `/tasks/${task.id}/push`, { remote: 'origin', branch: 'feature/y' })).status,
    ).toBe(200)
    // The stand-in goes: now neither CLI is on the server's PATH.
    rmSync(join(bin, 'gh'))
    const integrations = (await rt.call('GET', '/integrations')).body
    expect(integrations.every((tool: any) => tool.available === false)).toBe(true)
    const refused = await rt.call('POST', `/tasks/${task.id}/pull-request`, {})
    expect(refused.status).toBe(412)
    expect(refused.body.error.code).toBe('integration_unavailable')
    expect(refused.body.error.message).toContain('gh is not on PATH')
  })
})
