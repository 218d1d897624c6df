import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { agentBinary, CODEX_MODEL, claudeAgainst, codexProviderArgs } from '../agents/harness'
import { startAgentRuntime } from '../support/agent-runtime'
import { type BunqueueServer, startBunqueueServer } from '../support/bunqueue-server'
import { gitSync, makeRepo } from '../support/git-repo'
import { type ModelServer, startModelServer } from '../support/model-server'
import { largeContent } from '../support/model-server/scripts'
import { type RunnerHostProcess, spawnRunnerHost } from '../support/runner-host-process'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

/**
 * Agent runs and remote review on a runner host, every part real: a control plane and a runner
 * host as processes, a bunqueue server, the pinned `claude` CLI (configured on the host, from its
 * own environment) against the scripted model server, bubblewrap on the host.
 */

const dir = tempDir()
// Codex's own sandbox breaks with its home under the run's TMPDIR (/tmp inside bubblewrap).
const codexHome = mkdtempSync('/var/tmp/openruntime-remote-codex-')
const BROKER_TOKEN = 'broker-token-for-remote-agent-tests'
const HOST = 'agent-host'
let broker: BunqueueServer
let model: ModelServer
let server: ServerProcess
let host: RunnerHostProcess
let repo = ''

const dump = () => `--- control plane\n${server?.output()}\n--- ${HOST}\n${host?.output()}`

type Event = { kind: string; message: string; metadata: Record<string, any> | null }

const task = async (id: string) => (await api(server, 'GET', `/tasks/${id}?events=all`)).body

async function until(id: string, check: (current: any) => boolean, what: string, timeoutMs = 90_000) {
  try {
    return await waitFor(
      `task ${id}: ${what}`,
      async () => {
        const current = await task(id)
        return check(current) ? current : null
      },
      timeoutMs,
    )
  } catch (error) {
    const current = await task(id)
    console.error(current.events.map((event: Event) => `${event.kind}: ${event.message}`).join('\n'), dump())
    throw error
  }
}

const untilStatus = (id: string, statuses: string[]) =>
  until(id, (current) => statuses.includes(current.status), `to be ${statuses.join(' or ')}`)

async function createRemote(body: Record<string, unknown>) {
  const created = await api(server, 'POST', '/tasks', {
    title: 'remote',
    prompt: '',
    workspace: repo,
    runner_labels: ['agents'],
    ...body,
  })
  expect(created.status).toBe(200)
  return created.body.id as string
}

const agentText = (current: any) =>
  current.events
    .filter(
      (event: Event) => event.metadata?.category === 'agent' && event.metadata.type === 'assistant_text',
    )
    .map((event: Event) => event.message)

const agentEvents = (current: any): Event[] =>
  current.events.filter((event: Event) => event.metadata?.category === 'agent')

/** What a run stores of an agent event, wherever it ran: its kind and type, in their order. */
const shape = (event: Event) => `${event.kind} ${event.metadata?.type}`

/**
 * The bytes of each agent event's message and metadata, as the output cap counts them, less what
 * differs between two runs by nature: where it ran (the host's fields, the worktree's path) and
 * how long it took.
 */
const sizes = (events: Event[]) =>
  events.map((event) => {
    const { runner_seq, runner_host, runner_at, duration_ms, ...metadata } = event.metadata ?? {}
    const text = (value: string) =>
      value.replaceAll(/\/[^"\s]*?\/worktrees\/[0-9a-f-]+/g, '<worktree>').replaceAll(/\d+ ms/g, '<ms>')
    return [Buffer.byteLength(text(event.message)), Buffer.byteLength(text(JSON.stringify(metadata)))]
  })

beforeAll(async () => {
  repo = makeRepo(join(dir.path, 'repo'))
  model = startModelServer()
  broker = await startBunqueueServer({ token: BROKER_TOKEN, dataPath: join(dir.path, 'broker.db') })
  server = await spawnServer({
    OPENRUNTIME_DB: join(dir.path, 'control', 'db.sqlite3'),
    OPENRUNTIME_QUEUE_URL: broker.url,
    OPENRUNTIME_RUNNER_LEASE_MS: '3000',
  })
  const created = await api(server, 'POST', '/runner-hosts', { name: HOST, labels: ['agents'] })
  expect(created.status).toBe(201)
  // What the agent CLI is and how it reaches its model API are the host's own settings.
  host = spawnRunnerHost({
    name: HOST,
    root: dir.path,
    controlUrl: server.url,
    token: created.body.token,
    queueUrl: broker.url,
    labels: ['agents'],
    env: {
      ...claudeAgainst(model),
      OPENRUNTIME_CODEX_BIN: agentBinary('codex'),
      OPENRUNTIME_CODEX_ENV: JSON.stringify({
        CODEX_HOME: codexHome,
        SCRIPTED_MODEL_KEY: 'dummy',
        ...model.proxyEnv(),
      }),
      OPENRUNTIME_CODEX_ARGS: JSON.stringify(codexProviderArgs(model)),
      OPENRUNTIME_STOP_GRACE_MS: '3000',
      OPENRUNTIME_RUNNER_SNAPSHOT_MS: '200',
    },
  })
  mkdirSync(join(dir.path, HOST, 'home', '.claude'), { recursive: true })
  await waitFor(
    `runner host ${HOST} online with claude-code`,
    async () => {
      const list = (await api(server, 'GET', '/runner-hosts')).body as any[]
      const entry = list.find((candidate) => candidate.name === HOST)
      return entry?.status === 'online' && entry.runners['claude-code'] && entry.runners.codex ? entry : null
    },
    30_000,
  )
})

afterAll(async () => {
  await host?.kill()
  await server?.kill()
  await broker?.kill()
  await model?.stop()
  dir.cleanup()
  rmSync(codexHome, { recursive: true, force: true })
})

describe('agent runs on a runner host', () => {
  test('Claude Code on the host: its tool approval is answered on the control plane, it reaches review with its diff, and a reply continues its session on the host', async () => {
    const hosts = (await api(server, 'GET', '/runner-hosts')).body as any[]
    // The host registered the version of the CLI it found; placement uses it (it runs claude-code).
    expect(hosts.find((entry) => entry.name === HOST).runners['claude-code'].version).toMatch(/\d+\.\d+/)

    const id = await createRemote({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file agent.txt approved content',
      policy: { require_approval: true },
    })
    expect((await api(server, 'POST', `/tasks/${id}/start`)).body.state).toBe('needs-input.approval')
    expect((await api(server, 'POST', `/tasks/${id}/approve`, {})).status).toBe(200)

    // The agent's tool approval on the host is a pending approval here, the task needs input.
    const [pending] = await waitFor(
      'the relayed tool approval',
      async () => {
        const listed = (await api(server, 'GET', `/tasks/${id}/approvals`)).body as any[]
        return listed.some((approval) => approval.status === 'pending') ? listed : null
      },
      90_000,
    )
    expect(pending).toMatchObject({ status: 'pending', tool: 'Write', task_id: id })
    const waiting = await until(id, (current) => current.status === 'needs-input', 'to need input')
    expect(waiting.current_attempt.runner_host).toBe(HOST)
    expect(existsSync(join(repo, 'agent.txt'))).toBe(false)

    const answered = await api(server, 'POST', `/tasks/${id}/approvals/${pending.id}`, {
      allow: true,
      message: 'go ahead',
    })
    expect(answered.status).toBe(200)
    expect(answered.body).toMatchObject({ status: 'allowed', decided_by: expect.any(String) })
    // Answered once: a second answer is refused, and the host applies the first only.
    expect((await api(server, 'POST', `/tasks/${id}/approvals/${pending.id}`, { allow: false })).status).toBe(
      409,
    )

    const reviewed = await untilStatus(id, ['ready-for-review', 'failed', 'completed'])
    expect(reviewed.status).toBe('ready-for-review')
    const approvals = (await api(server, 'GET', `/tasks/${id}/approvals`)).body as any[]
    expect(approvals.map((approval) => approval.status)).toEqual(['allowed'])
    const closed = reviewed.events.filter(
      (event: Event) => event.metadata?.category === 'approval' && event.metadata.approval_id === pending.id,
    )
    expect(closed.map((event: Event) => event.metadata?.status)).toEqual(['allowed'])
    // Its session, its usage and where it ran came back from the host.
    expect(reviewed.runner_session_id).toBeString()
    expect(reviewed.cost_ledger.input_tokens).toBeGreaterThan(0)
    expect(reviewed.cost_ledger.tool_calls).toBe(1)
    expect(reviewed.attempts.map((attempt: any) => attempt.runner_host)).toEqual([HOST])
    expect(
      reviewed.events.some(
        (event: Event) => event.metadata?.category === 'sandbox' && event.metadata.sandboxed,
      ),
    ).toBe(true)

    const diff = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(diff.files.map((file: any) => file.path)).toEqual(['agent.txt'])
    expect(diff.patch).toContain('+approved content')
    expect(diff.snapshot.attempt_id).toBe(reviewed.current_attempt.id)

    // A reply to the finished agent continues its session, on the host that holds it.
    const replied = await api(server, 'POST', `/tasks/${id}/reply`, {
      message: 'SCRIPT:write-file second.txt more',
    })
    expect(replied.status).toBe(200)
    const [approval2] = await waitFor(
      'the follow-up tool approval',
      async () => {
        const listed = (await api(server, 'GET', `/tasks/${id}/approvals`)).body as any[]
        const open = listed.filter((approval) => approval.status === 'pending')
        return open.length > 0 ? open : null
      },
      90_000,
    )
    expect(
      (await api(server, 'POST', `/tasks/${id}/approvals/${approval2.id}`, { allow: true })).status,
    ).toBe(200)
    const followed = await until(
      id,
      (current) => current.attempts.length === 2 && current.attempts[1].finished_at !== null,
      'the follow-up to finish',
    )
    expect(followed.status).toBe('ready-for-review')
    expect(followed.attempts.map((attempt: any) => attempt.runner_host)).toEqual([HOST, HOST])
    expect(followed.attempts[1].runner_session_id).toBe(reviewed.runner_session_id)
    expect(followed.runner_session_id).toBe(reviewed.runner_session_id)
    const final = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    // The same worktree on the host: the first file is still there beside the second.
    expect(final.files.map((file: any) => file.path).sort()).toEqual(['agent.txt', 'second.txt'])
    expect(final.snapshot.attempt_id).toBe(followed.attempts[1].id)
    // The model saw the whole conversation from the host's worktree: the session was resumed there.
    const worktree = join(host.dir, 'worktrees', id)
    const asked = model.requests.filter(
      (request) =>
        request.api === 'anthropic' &&
        request.conversation?.cwd === worktree &&
        !request.conversation.sideCall,
    )
    expect(asked.map((request) => request.conversation?.promptCount)).toEqual([1, 1, 2, 2])
    expect(agentText(followed).at(-1)).toContain('Tool done')
    const merged = await api(server, 'POST', `/tasks/${id}/worktree/merge`, {
      strategy: 'commit',
      message: 'agent',
    })
    expect(merged.status).toBe(200)
    expect(readFileSync(join(repo, 'second.txt'), 'utf8')).toBe('more\n')
  }, 240_000)

  test('a Write of 5 MiB on the host: its tool call is stored whole, as a local run stores it, and the task reaches review with the file', async () => {
    const bytes = 5 * 1024 * 1024
    const content = largeContent(bytes)
    const prompt = `SCRIPT:write-large big.txt ${bytes}`
    const id = await createRemote({ runner: 'claude-code', prompt })
    expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    const remote = await untilStatus(id, ['ready-for-review', 'failed', 'completed'])
    expect(remote.status).toBe('ready-for-review')
    const diff = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(diff.files.map((file: any) => file.path)).toEqual(['big.txt'])
    expect(gitSync(repo, 'show', `${diff.snapshot.commit}:big.txt`)).toBe(content)

    const local = await startAgentRuntime()
    try {
      const localRepo = makeRepo(join(local.scratch, 'repo'))
      const localId = await local.api.create({ runner: 'claude-code', prompt, workspace: localRepo })
      await local.api.run(localId)
      const ran = await local.api.until(localId, ['ready-for-review', 'failed', 'completed'], 90_000)
      expect(ran.status).toBe('ready-for-review')
      const [here, there] = [agentEvents(ran), agentEvents(remote)]
      expect(there.map(shape)).toEqual(here.map(shape))
      const written = there.find((event) => event.metadata?.type === 'tool_call')
      expect(written?.metadata?.input.content).toBe(content)
      expect(sizes(there)).toEqual(sizes(here))
    } finally {
      await local.close()
    }
  }, 240_000)

  test('Codex on the host: its command approval is answered on the control plane and it reaches review with its diff', async () => {
    const id = await createRemote({
      runner: 'codex',
      model: CODEX_MODEL,
      prompt: "SCRIPT:escalate printf 'approved content' > codex.txt",
      policy: { require_approval: true },
    })
    await api(server, 'POST', `/tasks/${id}/start`)
    expect((await api(server, 'POST', `/tasks/${id}/approve`, {})).status).toBe(200)
    const [pending] = await waitFor(
      'the relayed Codex approval',
      async () => {
        const listed = (await api(server, 'GET', `/tasks/${id}/approvals`)).body as any[]
        return listed.some((approval) => approval.status === 'pending') ? listed : null
      },
      90_000,
    )
    expect((await until(id, (current) => current.status === 'needs-input', 'to need input')).state).toBe(
      'needs-input.prompt',
    )
    expect((await api(server, 'POST', `/tasks/${id}/approvals/${pending.id}`, { allow: true })).status).toBe(
      200,
    )
    const reviewed = await untilStatus(id, ['ready-for-review', 'failed', 'completed'])
    expect(reviewed.status).toBe('ready-for-review')
    expect(reviewed.attempts.map((attempt: any) => attempt.runner_host)).toEqual([HOST])
    expect(reviewed.runner_session_id).toBeString()
    const diff = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(diff.files.map((file: any) => file.path)).toEqual(['codex.txt'])
    expect(diff.patch).toContain('+approved content')
  }, 180_000)

  test('the live diff of a running shell task shows its latest snapshot with its age, then review, cleanup to the archive and restore of a local worktree', async () => {
    const id = await createRemote({
      runner: 'shell',
      command: 'mkfifo gate && echo one > live.txt && cat gate > /dev/null && echo two > later.txt',
    })
    expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    // The run waits on the fifo until the test writes to it: whatever the diff shows now is live.
    const live = await waitFor(
      'the live snapshot with live.txt',
      async () => {
        const diff = await api(server, 'GET', `/tasks/${id}/diff`)
        return diff.status === 200 && diff.body.files.some((file: any) => file.path === 'live.txt')
          ? diff.body
          : null
      },
      60_000,
    )
    const running = await task(id)
    expect(running.status).toBe('running')
    expect(live.files.map((file: any) => file.path)).toEqual(['live.txt'])
    expect(live.patch).toContain('+one')
    expect(live.snapshot.attempt_id).toBe(running.current_attempt.id)
    expect(live.snapshot.commit).toMatch(/^[0-9a-f]{40}$/)
    expect(live.snapshot.age_seconds).toBeGreaterThanOrEqual(0)
    expect(Number.isNaN(Date.parse(live.snapshot.taken_at))).toBe(false)

    // The review page says where the diff comes from.
    const page = await (await fetch(`${server.url}/tasks/${id}/review`, { headers: server.auth })).text()
    expect(page).toContain(
      `From the snapshot of attempt #1 on runner host ${HOST} (commit ${live.snapshot.commit.slice(0, 12)}`,
    )

    const gate = join(host.dir, 'worktrees', id, 'gate')
    expect(existsSync(gate)).toBe(true)
    const release = Bun.spawn(['sh', '-c', 'echo go > "$1"', 'sh', gate])
    expect(await release.exited).toBe(0)
    const reviewed = await untilStatus(id, ['ready-for-review', 'failed'])
    expect(reviewed.status).toBe('ready-for-review')
    const diff = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(diff.files.map((file: any) => file.path).sort()).toEqual(['later.txt', 'live.txt'])

    // Unmerged remote work is refused by a plain delete and a plain cleanup, as a local task's is.
    const refusedDelete = await api(server, 'DELETE', `/tasks/${id}`)
    expect(refusedDelete.status).toBe(409)
    expect(refusedDelete.body.error.code).toBe('unmerged_changes')
    const refusedCleanup = await api(server, 'POST', `/tasks/${id}/worktree/cleanup`)
    expect(refusedCleanup.status).toBe(409)
    expect(refusedCleanup.body.error.code).toBe('unmerged_changes')

    const cleaned = await api(server, 'POST', `/tasks/${id}/worktree/cleanup?force=true`)
    expect(cleaned.status).toBe(200)
    expect(cleaned.body.archive_ref).toBe(`refs/openruntime/archive/${id}`)
    // The archive holds the host's work on top of the base commit it started from.
    const archive = `refs/openruntime/archive/${id}`
    expect(gitSync(repo, 'show', `${archive}:live.txt`).trim()).toBe('one')
    expect(gitSync(repo, 'show', `${archive}:later.txt`).trim()).toBe('two')
    expect(gitSync(repo, 'rev-parse', `${archive}^`).trim()).toBe(reviewed.base_commit)
    // The host is told: its copy of the worktree goes, as the control plane's would.
    await waitFor(
      'the host to remove its worktree',
      () => !existsSync(join(host.dir, 'worktrees', id)),
      30_000,
    )
    const afterCleanup = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(afterCleanup.files).toEqual([])
    expect(afterCleanup.snapshot).toBeUndefined()

    const restored = await api(server, 'POST', `/tasks/${id}/worktree/restore`)
    expect(restored.status).toBe(200)
    const local = join(repo, '.openruntime', 'worktrees', id)
    expect(readFileSync(join(local, 'live.txt'), 'utf8')).toBe('one\n')
    expect(readFileSync(join(local, 'later.txt'), 'utf8')).toBe('two\n')
    // From now on the task's worktree is here: its diff reads it, not the host's snapshot.
    const afterRestore = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(afterRestore.worktree_path).toBe(local)
    expect(afterRestore.snapshot).toBeUndefined()
    expect(afterRestore.files.map((file: any) => file.path).sort()).toEqual(['later.txt', 'live.txt'])
    const restarted = await api(server, 'POST', `/tasks/${id}/start`)
    expect(restarted.status).toBe(409)
    expect(restarted.body.error.code).toBe('worktree_on_control_plane')
    expect((await api(server, 'DELETE', `/tasks/${id}?force=true`)).status).toBeLessThan(300)
  }, 180_000)

  test('a shell on the host waiting for input shows as needs-input here, and a reply reaches its stdin', async () => {
    const id = await createRemote({
      runner: 'shell',
      command: 'printf "Your name? "; read name; echo "hello $name" > name.txt',
    })
    expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    const waiting = await untilStatus(id, ['needs-input', 'failed', 'ready-for-review'])
    expect(waiting.status).toBe('needs-input')
    expect(waiting.current_attempt.summary).toContain('Your name?')
    const replied = await api(server, 'POST', `/tasks/${id}/reply`, { message: 'world' })
    expect(replied.status).toBe(200)
    const reviewed = await untilStatus(id, ['ready-for-review', 'failed'])
    expect(reviewed.status).toBe('ready-for-review')
    expect(reviewed.events.map((event: Event) => event.metadata?.category)).toContain('attempt-running')
    const diff = (await api(server, 'GET', `/tasks/${id}/diff`)).body
    expect(diff.patch).toContain('+hello world')
  }, 120_000)

  test("an approval the host's timeout denied first is recorded as the agent was told, and a late answer is refused", async () => {
    const id = await createRemote({
      runner: 'claude-code',
      prompt: 'SCRIPT:write-file late.txt never',
      policy: { require_approval: true, approval_timeout_seconds: 1 },
    })
    await api(server, 'POST', `/tasks/${id}/start`)
    expect((await api(server, 'POST', `/tasks/${id}/approve`, {})).status).toBe(200)
    const done = await untilStatus(id, ['ready-for-review', 'completed', 'failed'])
    const [approval, ...more] = (await api(server, 'GET', `/tasks/${id}/approvals`)).body as any[]
    expect(more).toEqual([])
    expect(approval).toMatchObject({ status: 'expired', decided_by: 'openRuntime' })
    expect(approval.message).toContain('No answer within 1 second')
    const late = await api(server, 'POST', `/tasks/${id}/approvals/${approval.id}`, { allow: true })
    expect(late.status).toBe(409)
    expect(late.body.error.code).toBe('approval_closed')
    expect(done.status).not.toBe('ready-for-review')
    expect(existsSync(join(host.dir, 'worktrees', id, 'late.txt'))).toBe(false)
  }, 120_000)

  test('a reply to a finished agent whose host is gone waits queued for a live host, saying why', async () => {
    const id = await createRemote({ runner: 'claude-code', prompt: 'SCRIPT:echo hello' })
    expect((await api(server, 'POST', `/tasks/${id}/start`)).status).toBe(200)
    const done = await untilStatus(id, ['completed', 'ready-for-review', 'failed'])
    expect(done.status).toBe('completed')
    expect(done.runner_session_id).toBeString()
    await host.kill()
    await waitFor(
      `runner host ${HOST} lost`,
      async () => {
        const list = (await api(server, 'GET', '/runner-hosts')).body as any[]
        return list.find((entry) => entry.name === HOST)?.status === 'lost'
      },
      30_000,
    )
    // Its last snapshot is here: a live host that can serve the task would continue from it.
    const replied = await api(server, 'POST', `/tasks/${id}/reply`, { message: 'SCRIPT:echo again' })
    expect(replied.status).toBe(200)
    const waiting = await until(
      id,
      (current) => current.events.some((event: Event) => event.metadata?.category === 'waiting-for-host'),
      'to wait for a runner host',
    )
    expect(waiting.status).toBe('queued')
    expect(waiting.attempts).toHaveLength(1)
  }, 120_000)
})
