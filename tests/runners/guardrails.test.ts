import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'
import { eventsOf, FULL_ACCESS, hostScratch, outputOf, type TasksApi, tasksApi } from './api'

/** Issue 6 through the real API: policy checks, the sandbox boundary, redaction and the approval gate. */

const SECRET_VALUE = 'opaque-service-credential-4f9a2c'
const scratch = hostScratch('openruntime-guardrails-')
const home = join(scratch.path, 'home')
let repo = ''
let rt: TestRuntime
let api: TasksApi
let hostServer: ReturnType<typeof Bun.serve>
const hostRequests: string[] = []

// Reports what the process can reach. It is a program the text checks cannot see into, so what it
// is refused is refused by the sandbox.
const PROBE = `import { readFileSync, writeFileSync } from 'node:fs'
const [port, outside] = process.argv.slice(2)
async function attempt(label: string, run: () => unknown) {
  try {
    console.log(label + ': ' + (await run()))
  } catch (error) {
    console.log(label + ': refused (' + ((error as any).code ?? (error as Error).message) + ')')
  }
}
await attempt('host server', async () => {
  const response = await fetch('http://127.0.0.1:' + port + '/', { signal: AbortSignal.timeout(3000) })
  return 'reached ' + (await response.text())
})
await attempt('outside', () => (writeFileSync(outside, 'escaped'), 'written'))
await attempt('key', () => 'read ' + readFileSync(process.env.HOME + '/.ssh/id_rsa', 'utf8'))
await attempt('inside', () => (writeFileSync('inside.txt', 'inside'), 'written'))
`

beforeAll(async () => {
  mkdirSync(join(home, '.ssh'), { recursive: true })
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'PLANTED-PRIVATE-KEY')
  repo = makeRepo(join(scratch.path, 'repo'), {
    'README.md': 'hello\n',
    'probe.ts': PROBE,
    'env-names.ts': "console.log(Object.keys(process.env).sort().join('\\n'))\n",
  })
  hostServer = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => {
      hostRequests.push(request.url)
      return new Response('host-secret-page')
    },
  })
  rt = await startTestRuntime({
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    MY_SERVICE_TOKEN: SECRET_VALUE,
    // Long enough that the two chunks of the split secret below reach the redactor as one stream.
    OPENRUNTIME_PARTIAL_LINE_MS: '1500',
  })
  api = tasksApi(rt)
})

afterAll(async () => {
  hostServer?.stop(true)
  await rt?.close()
  scratch.cleanup()
})

const shell = (command: string, extra: Record<string, unknown> = {}) =>
  api.create({ runner: 'shell', command, workspace: repo, ...extra })

const taskIds = async () =>
  ((await rt.call('GET', '/tasks?limit=500&events=none')).body as { id: string }[]).map((task) => task.id)

/** Creating a task its policy refuses: 403 with the rule and the offending part, and nothing stored. */
async function expectRefusedAtCreate(body: Record<string, unknown>, rule: string, offending: string) {
  const before = await taskIds()
  const eventsBefore = rt.runtime.store.db.query('SELECT COUNT(*) AS n FROM events').get()
  const created = await rt.call('POST', '/tasks', { title: 'a task', prompt: '', workspace: repo, ...body })
  expect(created.status).toBe(403)
  expect(created.body.error.code).toBe('policy_violation')
  expect(created.body.error.details).toEqual({ rule, offending })
  expect(created.body.error.message).toContain(rule)
  expect(await taskIds()).toEqual(before)
  expect(rt.runtime.store.db.query('SELECT COUNT(*) AS n FROM events').get()).toEqual(eventsBefore)
}

describe('checks at create and before start', () => {
  const refused: [string, string, Record<string, unknown>, string][] = [
    ['a blocked command', 'curl https://example.com', {}, 'blocked-command'],
    ['network use', 'curl https://example.com', { blocked_commands: [] }, 'network'],
    [
      'a remote host in localhost mode',
      'wget http://example.com/x',
      { blocked_commands: [], network_mode: 'localhost' },
      'network',
    ],
    ['a git write', 'git commit -am "sneaky"', {}, 'git-write'],
    ['reading secrets', 'cat .env', {}, 'secrets'],
    ['a command only known at run time', '$(echo c)url https://example.com', {}, 'dynamic-command'],
    ['a custom blocked fragment', 'make deploy', { blocked_commands: ['make deploy'] }, 'blocked-command'],
  ]
  // Each of these commands is a single simple command, so the offending part is all of it.
  for (const [what, command, policy, rule] of refused) {
    test(`${what} is refused at create with 403 naming the rule and the part; nothing is stored`, () =>
      expectRefusedAtCreate({ runner: 'shell', command, policy }, rule, command))
  }

  test('a workspace outside the allowlist is refused at create', () =>
    expectRefusedAtCreate(
      {
        runner: 'shell',
        command: 'echo hi',
        policy: { allowed_workspaces: [join(scratch.path, 'elsewhere')] },
      },
      'workspace-allowlist',
      repo,
    ))

  test('the allowlist is checked again at start: a link in it pointed elsewhere since refuses the start', async () => {
    const link = join(scratch.path, 'allowed-link')
    symlinkSync(repo, link)
    const id = await shell('echo hi', { policy: { allowed_workspaces: [link] } })
    const before = await api.get(id)
    unlinkSync(link)
    symlinkSync(join(scratch.path, 'home'), link)
    const started = await api.start(id)
    expect(started.status).toBe(403)
    expect(started.body.error.code).toBe('policy_violation')
    expect(started.body.error.details).toEqual({ rule: 'workspace-allowlist', offending: repo })
    const after = await api.get(id)
    expect(after).toMatchObject({ status: 'queued', state: 'queued.draft', effective_policy: null })
    expect(after.last_seq).toBe(before.last_seq)
  })

  test("the original's false positives run: words are matched whole, not as substrings", async () => {
    const id = await shell('echo curly; echo "func main() {}"; echo the secret garden; echo rsync')
    await api.run(id)
    const task = await api.settled(id)
    expect(task.status).toBe('completed')
    expect(outputOf(task)).toEqual(['curly', 'func main() {}', 'the secret garden', 'rsync'])
  })

  test("an agent's prompt is checked against the blocked commands as whole words", () =>
    expectRefusedAtCreate(
      { runner: 'claude-code', prompt: 'run sudo apt-get install jq' },
      'blocked-command',
      'sudo',
    ))

  test('every reply written to a shell is checked too', async () => {
    const id = await shell('read line; echo "got $line"')
    await api.run(id)
    const waiting = await api.until(id, 'needs-input')
    const refusedReply = await api.reply(id, 'curl https://example.com/exfiltrate')
    expect(refusedReply.status).toBe(403)
    expect(refusedReply.body.error.details.rule).toBe('blocked-command')
    const still = await api.get(id)
    expect(still.status).toBe('needs-input')
    expect(still.last_seq).toBe(waiting.last_seq)
    expect((await api.reply(id, 'hello')).status).toBe(200)
    const done = await api.settled(id)
    expect(outputOf(done)).toContain('got hello')
  })
})

describe('the sandbox', () => {
  const probe = (outside: string) => `'${process.execPath}' probe.ts ${hostServer.port} ${outside}`

  test('a sandboxed run cannot reach the host network, write outside its worktree or read ~/.ssh; it can write inside', async () => {
    const outside = join(scratch.path, 'outside-sandboxed.txt')
    const id = await shell(probe(outside))
    await api.run(id)
    const task = await api.settled(id)
    const lines = outputOf(task)
    expect(lines.find((line) => line.startsWith('host server'))).toStartWith('host server: refused')
    expect(lines.find((line) => line.startsWith('outside'))).toStartWith('outside: refused')
    expect(lines.find((line) => line.startsWith('key'))).toStartWith('key: refused')
    expect(lines).toContain('inside: written')
    expect(hostRequests).toEqual([])
    expect(existsSync(outside)).toBe(false)
    expect(readFileSync(join(task.worktree_path, 'inside.txt'), 'utf8')).toBe('inside')
    expect(task).toMatchObject({ status: 'ready-for-review', sandboxed: true, isolated: true })
    expect(task.current_attempt).toMatchObject({ sandboxed: true, isolated: true })
    const [sandbox] = eventsOf(task, 'sandbox')
    expect(sandbox.metadata).toMatchObject({ sandboxed: true, reason: expect.stringContaining('bubblewrap') })
  })

  test('the same probe with full access (no sandbox) reaches all three: the probe can tell', async () => {
    const outside = join(scratch.path, 'outside-control.txt')
    const id = await shell(probe(outside), { policy: FULL_ACCESS })
    await api.run(id)
    const task = await api.settled(id)
    expect(outputOf(task)).toEqual([
      'host server: reached host-secret-page',
      'outside: written',
      'key: read PLANTED-PRIVATE-KEY',
      'inside: written',
    ])
    expect(readFileSync(outside, 'utf8')).toBe('escaped')
    expect(task.sandboxed).toBe(false)
    expect(eventsOf(task, 'sandbox')[0].metadata.reason).toContain('full access')
  })

  test('git add and commit work inside the sandboxed worktree', async () => {
    const id = await shell(
      'echo change > committed.txt && git add committed.txt && git -c user.name=t -c user.email=t@t commit -qm inside',
      {
        policy: { allow_git_write: true },
      },
    )
    await api.run(id)
    const task = await api.settled(id)
    expect(task).toMatchObject({ status: 'ready-for-review', sandboxed: true })
    expect(gitSync(task.worktree_path, 'log', '-1', '--format=%s').trim()).toBe('inside')
  })

  test('stop ends everything the sandboxed run started', async () => {
    const marker = '31337.4242'
    const survivors = () =>
      readdirSync('/proc').filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker)
        } catch {
          return false
        }
      })
    const id = await shell(`sleep ${marker} & echo started; wait`)
    await api.run(id)
    await waitFor('the background sleep', async () => outputOf(await api.get(id)).includes('started'))
    expect(survivors().length).toBeGreaterThan(0)
    const stopped = await api.stop(id)
    expect(stopped.body.status).toBe('stopped')
    await waitFor('no survivor', () => survivors().length === 0)
  })
})

describe('redaction', () => {
  test('a secret split across two output chunks is never stored', async () => {
    const id = await shell(
      "printf 'key sk-ant-api03-AAAA'; sleep 0.3; printf 'BBBBBBBBBBBBBBBBBBBBBBBB done\\n'",
    )
    await api.run(id)
    const task = await api.settled(id)
    const stored = JSON.stringify(task.events)
    expect(stored).not.toContain('AAAABBBB')
    expect(stored).not.toContain('sk-ant-api03')
    expect(outputOf(task)).toEqual(['key [redacted] done'])
  })

  test("values of the server's secret variables are redacted in output and in replies", async () => {
    const id = await shell(`echo "token is ${SECRET_VALUE}"; read answer; echo "answer was $answer"`)
    await api.run(id)
    await api.until(id, 'needs-input')
    expect((await api.reply(id, `here: ${SECRET_VALUE}`)).status).toBe(200)
    const task = await api.settled(id)
    expect(JSON.stringify(task.events)).not.toContain(SECRET_VALUE)
    expect(outputOf(task)).toEqual(['token is [redacted]', 'answer was here: [redacted]'])
    expect(outputOf(task, 'input')).toEqual(['User reply: here: [redacted]'])
  })

  test('the runner never sees the server secrets in its environment', async () => {
    // Listing the environment with `env` is itself refused as reading secrets; a script is not.
    const id = await shell(`'${process.execPath}' env-names.ts`)
    await api.run(id)
    const names = outputOf(await api.settled(id))
    expect(names).toContain('HOME')
    expect(names).toContain('OPENRUNTIME_TASK_ID')
    expect(names).not.toContain('MY_SERVICE_TOKEN')
    expect(names.filter((name) => name.startsWith('OPENRUNTIME_'))).toEqual(['OPENRUNTIME_TASK_ID'])
  })
})

describe('the approval gate', () => {
  test('a task that requires approval waits in needs-input; the approval records who, when and the note', async () => {
    const id = await shell('echo approved run', { policy: { require_approval: true } })
    const started = await api.start(id)
    expect(started.body).toMatchObject({ status: 'needs-input', state: 'needs-input.approval' })
    const approved = await rt.call('POST', `/tasks/${id}/approve`, { note: 'looked at the command' })
    expect(approved.status).toBe(200)
    const task = await api.settled(id)
    expect(task.status).toBe('completed')
    const [record] = eventsOf(task, 'approved')
    expect(record.message).toBe('Task approved: looked at the command')
    expect(record.metadata).toMatchObject({ approved_by: 'local user', note: 'looked at the command' })
    expect(task.approved_at).toBe(record.created_at)
    expect(task.effective_policy.require_approval).toBe(true)
  })
})
