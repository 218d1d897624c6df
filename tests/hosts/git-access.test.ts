import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../support/git-repo'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir } from '../support/temp'
import { overHttp, SHELL_HOST } from './runner-client'

/**
 * The git endpoint as the registry opens it: a runner host fetches the repository of an attempt it
 * holds and pushes into that attempt's namespace only; another host, or the same host once the
 * attempt ended, sees no repository at all. Real server process, real git CLI.
 */

const dir = tempDir('openruntime-git-access-')
const repo = makeRepo(join(dir.path, 'repo'))
let server: ServerProcess
const client = overHttp(() => server.url)
const rev = (cwd: string, ref: string) => gitSync(cwd, 'rev-parse', ref).trim()

beforeAll(async () => {
  server = await spawnServer({ OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3') })
})
afterAll(async () => {
  await server?.kill('SIGTERM')
  dir.cleanup()
})

async function host(name: string) {
  const created = await api(server, 'POST', '/runner-hosts', { name })
  expect(created.status).toBe(201)
  const token = created.body.token as string
  expect((await client.call('POST', '/runner/v1/register', SHELL_HOST, token)).status).toBe(200)
  return token
}

/** git against the endpoint with a runner token, as a host runs it; exit status and output. */
function git(cwd: string, token: string, ...args: string[]) {
  const result = Bun.spawnSync(['git', '-c', `http.extraHeader=Authorization: Bearer ${token}`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir.path, GIT_TERMINAL_PROMPT: '0' },
  })
  return { code: result.exitCode, output: `${result.stdout}${result.stderr}` }
}

describe('the git endpoint opened by the registry', () => {
  test('the holder fetches and pushes its own namespace; others and ended attempts see nothing', async () => {
    const holder = await host('holder')
    const other = await host('other')
    const task = await api(server, 'POST', '/tasks', {
      title: 'remote',
      prompt: '',
      runner: 'shell',
      command: 'true',
      workspace: repo,
      runner_labels: ['linux'],
    })
    expect((await api(server, 'POST', `/tasks/${task.body.id}/start`)).status).toBe(200)
    const claim = await client.call('POST', '/runner/v1/claim', { task_id: task.body.id, run: 1 }, holder)
    expect(claim.status).toBe(200)
    const url = `${server.url}${claim.body.repository}`
    const attempt = claim.body.attempt_id as string
    const base = claim.body.base_commit as string

    const cache = join(dir.path, 'cache')
    gitSync(dir.path, 'init', '-q', '--bare', cache)
    const fetched = git(cache, holder, 'fetch', '-q', url, base)
    expect(fetched.code, fetched.output).toBe(0)
    expect(rev(cache, 'FETCH_HEAD')).toBe(base)

    const work = join(dir.path, 'work')
    gitSync(dir.path, 'clone', '-q', repo, work)
    gitSync(
      work,
      '-c',
      'user.name=h',
      '-c',
      'user.email=h@h',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'snapshot',
    )
    const own = git(work, holder, 'push', '-q', url, `HEAD:refs/openruntime/attempts/${attempt}/snapshot`)
    expect(own.code, own.output).toBe(0)
    expect(rev(repo, `refs/openruntime/attempts/${attempt}/snapshot`)).toBe(rev(work, 'HEAD'))
    const elsewhere = git(
      work,
      holder,
      'push',
      '-q',
      url,
      'HEAD:refs/openruntime/attempts/someone-else/snapshot',
    )
    expect(elsewhere.code).not.toBe(0)
    expect(git(work, holder, 'push', '-q', url, 'HEAD:refs/heads/main').code).not.toBe(0)
    expect(rev(repo, 'main')).toBe(base)

    // Another host holds nothing in this repository: it is not there for it.
    const stranger = git(cache, other, 'fetch', '-q', url, base)
    expect(stranger.code).not.toBe(0)
    expect(stranger.output).toContain('not found')

    // Once the attempt ended, its holder sees nothing any more either.
    const outcome = await client.call(
      'POST',
      `/runner/v1/attempts/${attempt}/outcome`,
      { exit_status: 'exit code 0', exit_code: 0, summary: 'done', has_changes: false },
      holder,
    )
    expect(outcome.status).toBe(200)
    const after = git(cache, holder, 'fetch', '-q', url, base)
    expect(after.code).not.toBe(0)
    expect(after.output).toContain('not found')
  }, 60_000)
})
