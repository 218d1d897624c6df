import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import net from 'node:net'
import { join } from 'node:path'
import { AGENTS_BIN, agentBinary } from '../agents/harness'
import { makeRepo } from '../support/git-repo'
import { type ModelServer, startModelServer } from '../support/model-server'
import { api, type ServerProcess, spawnServer } from '../support/server-process'
import { waitFor } from '../support/temp'
import { eventsOf, hostScratch, SETTLED } from './api'

/**
 * Issue 11, attack 6: an agent's tool call (what a prompt injection in a repository's files gets)
 * tries to drive the control plane and to reach another service on the host's loopback. The real
 * server, the real Claude Code CLI in real bubblewrap on the default preset, the scripted model.
 */

const scratch = hostScratch('openruntime-agent-net-')
const home = join(scratch.path, 'home')
let model: ModelServer
let controlPlane: ServerProcess
/** Another service on the host's loopback, counting every connection it is ever offered. */
let listener: net.Server
let listenerConnections = 0
let repo = ''

/** Each attempt prints `<label>: <HTTP status> <CONNECT status>`; 000 is curl's "no answer". */
function attackScript(controlPlanePort: number, otherPort: number): string {
  const body = JSON.stringify({
    title: 'pwned',
    prompt: '',
    runner: 'shell',
    command: 'touch /var/tmp/pwned',
    workspace: '/tmp',
    policy: { network_mode: 'enabled', allow_git_write: true, allow_secrets: true, blocked_commands: [] },
  })
  return [
    `task='${body}'`,
    `api=http://127.0.0.1:${controlPlanePort}/tasks`,
    `other=http://127.0.0.1:${otherPort}/`,
    'attempt() { label=$1; shift; echo "$label: $(curl -s -m 5 -o /dev/null -w "%{http_code} %{http_connect}" "$@")"; }',
    `attempt control-plane -X POST -H 'content-type: application/json' -d "$task" "$api"`,
    `attempt control-plane-guessed-token -X POST -H 'authorization: Bearer guessed' -H 'content-type: application/json' -d "$task" "$api"`,
    `attempt control-plane-via-proxy --noproxy '' --proxy "$HTTP_PROXY" -X POST -H 'content-type: application/json' -d "$task" "$api"`,
    'attempt other-service "$other"',
    `attempt other-service-via-proxy --noproxy '' --proxy "$HTTP_PROXY" "$other"`,
    `attempt other-service-tunnel --noproxy '' --proxytunnel --proxy "$HTTP_PROXY" "$other"`,
    '',
  ].join('\n')
}

const dbPath = join(scratch.path, 'data', 'openruntime.sqlite3')

/** Every task in the server's database, read directly: whatever the API shows, nothing hides here. */
function storedTaskIds(): string[] {
  const db = new Database(dbPath, { readonly: true })
  try {
    return db
      .query<{ id: string }, []>('SELECT id FROM tasks')
      .all()
      .map((row) => row.id)
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  mkdirSync(home, { recursive: true })
  model = startModelServer()
  listener = net.createServer((socket) => {
    listenerConnections++
    socket.end('you should not be here\n')
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  controlPlane = await spawnServer({
    HOME: home,
    PATH: `${AGENTS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OPENRUNTIME_DB: dbPath,
    OPENRUNTIME_CLAUDE_BIN: agentBinary('claude'),
    OPENRUNTIME_CLAUDE_ENV: JSON.stringify({
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-ant-test',
    }),
  })
  const port = Number(new URL(controlPlane.url).port)
  const otherPort = (listener.address() as net.AddressInfo).port
  repo = makeRepo(join(scratch.path, 'repo'), { 'attack.sh': attackScript(port, otherPort) })
})

afterAll(async () => {
  await controlPlane?.kill('SIGTERM')
  await model?.stop()
  listener?.close()
  scratch.cleanup()
})

test('a Claude Code tool call reaches neither the control plane nor another loopback service; the model API still answers', async () => {
  const created = await api(controlPlane, 'POST', '/tasks', {
    title: 'injected',
    prompt: 'SCRIPT:bash sh attack.sh',
    runner: 'claude-code',
    workspace: repo,
  })
  expect(created.status).toBe(200)
  const id = created.body.id
  expect((await api(controlPlane, 'POST', `/tasks/${id}/start`)).status).toBe(200)
  const task = await waitFor(
    'the agent run to settle',
    async () => {
      const current = (await api(controlPlane, 'GET', `/tasks/${id}?events=all`)).body
      return SETTLED.includes(current.status) ? current : null
    },
    90_000,
  )

  // The model API answered both turns: the command ran and the agent summed it up.
  expect(task.status).toBe('completed')
  const turns = model.requests.filter((r) => r.api === 'anthropic' && !r.conversation?.sideCall)
  expect(turns.length).toBe(2)
  const output = turns.at(-1)?.conversation?.toolResults[0]?.output ?? ''
  expect(output.split('\n').filter(Boolean)).toEqual([
    'control-plane: 000 000',
    'control-plane-guessed-token: 000 000',
    'control-plane-via-proxy: 403 000',
    'other-service: 000 000',
    'other-service-via-proxy: 403 000',
    'other-service-tunnel: 000 403',
  ])

  // Nothing got through: no connection to the other service, no task but this one.
  expect(listenerConnections).toBe(0)
  expect(storedTaskIds()).toEqual([id])

  // The run's record says what it could reach and what it was refused.
  expect(eventsOf(task, 'sandbox')[0].metadata).toMatchObject({
    sandboxed: true,
    allowed_endpoints: [`127.0.0.1:${model.port}`],
  })
  const refused = eventsOf(task, 'network-refused').map((event: any) => event.metadata.target)
  expect(refused.sort()).toEqual(
    [
      `127.0.0.1:${new URL(controlPlane.url).port}`,
      `127.0.0.1:${(listener.address() as net.AddressInfo).port}`,
    ].sort(),
  )
})
