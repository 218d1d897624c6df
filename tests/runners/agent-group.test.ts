import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { agentBinary, CODEX_MODEL, claudeAgainst, codexProviderArgs } from '../agents/harness'
import { makeRepo } from '../support/git-repo'
import { type ModelServer, startModelServer } from '../support/model-server'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { hostScratch, type TasksApi, tasksApi } from './api'

/**
 * A group with one Claude Code and one Codex variant (issue 15): the real CLIs against the
 * scripted model server, each variant's own prompt suffix picking its script.
 */

const scratch = hostScratch('openruntime-agent-group-')
const home = join(scratch.path, 'home')
const codexHome = join(home, '.codex')
let server: ModelServer
let rt: TestRuntime
let api: TasksApi
let repo = ''

beforeAll(async () => {
  mkdirSync(codexHome, { recursive: true })
  repo = makeRepo(join(scratch.path, 'repo'))
  server = startModelServer()
  rt = await startTestRuntime({
    HOME: home,
    ...claudeAgainst(server),
    OPENRUNTIME_STOP_GRACE_MS: '3000',
    OPENRUNTIME_CODEX_BIN: agentBinary('codex'),
    OPENRUNTIME_CODEX_ENV: JSON.stringify({
      CODEX_HOME: codexHome,
      SCRIPTED_MODEL_KEY: 'dummy',
      ...server.proxyEnv(),
    }),
    OPENRUNTIME_CODEX_ARGS: JSON.stringify(codexProviderArgs(server)),
  })
  api = tasksApi(rt)
})

afterAll(async () => {
  await rt?.close()
  await server?.stop()
  scratch.cleanup()
})

test('a Claude Code and a Codex variant of one goal both reach review, compared side by side', async () => {
  const created = await rt.call('POST', '/tasks', {
    title: 'greet',
    prompt: 'Write a greeting into a file.',
    runner: 'claude-code',
    workspace: repo,
    variants: [
      { runner: 'claude-code', prompt_suffix: 'SCRIPT:write-file greeting.txt hello from claude' },
      {
        runner: 'codex',
        model: CODEX_MODEL,
        prompt_suffix: 'SCRIPT:write-file greeting.txt hello from codex',
      },
    ],
  })
  expect(created.status).toBe(200)
  const group = created.body
  const [claude, codex] = group.variants.map((variant: any) => variant.task_id as string)
  expect((await rt.call('POST', `/task-groups/${group.id}/start`)).status).toBe(200)
  const tasks = await Promise.all([api.settled(claude as string), api.settled(codex as string)])
  expect(tasks.map((task) => task.status)).toEqual(['ready-for-review', 'ready-for-review'])
  expect(tasks[0].prompt).toBe(
    'Write a greeting into a file.\nSCRIPT:write-file greeting.txt hello from claude',
  )
  expect(tasks[1].model).toBe(CODEX_MODEL)
  expect(readFileSync(join(tasks[0].worktree_path, 'greeting.txt'), 'utf8')).toBe('hello from claude\n')
  expect(readFileSync(join(tasks[1].worktree_path, 'greeting.txt'), 'utf8')).toBe('hello from codex\n')

  const view = (await rt.call('GET', `/task-groups/${group.id}`)).body
  for (const [index, variant] of view.variants.entries()) {
    const ledger = tasks[index].cost_ledger
    expect(variant).toMatchObject({ status: 'ready-for-review', cost_cents: ledger.estimated_cents })
    expect(variant.tokens.input).toBe(ledger.input_tokens)
    expect(variant.tokens.output).toBeGreaterThan(0)
    expect(variant.cost_cents).toBeGreaterThan(0)
    expect(variant.files.map((file: any) => file.path)).toEqual(['greeting.txt'])
  }
  expect(view.variants.map((variant: any) => variant.runner)).toEqual(['claude-code', 'codex'])
  expect(view.shared_files).toEqual([{ path: 'greeting.txt', task_ids: [claude, codex] }])

  const compared = (await rt.call('GET', `/task-groups/${group.id}/compare?a=${claude}&b=${codex}`)).body
  expect(compared.files.map((file: any) => file.path)).toEqual(['greeting.txt'])
  expect(compared.patch).toContain('-hello from claude\n+hello from codex')
})
