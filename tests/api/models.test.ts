import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import {
  EffectivePolicySchema,
  type RangedNumber,
  TaskDiffViewSchema,
  TaskEventSchema,
  TaskViewSchema,
} from '../../src/domain'
import { claudeAgainst } from '../agents/harness'
import { hostScratch, SETTLED } from '../runners/api'
import { makeRepo } from '../support/git-repo'
import { type ModelServer, startModelServer } from '../support/model-server'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { waitFor } from '../support/temp'

/**
 * The models (src/models) are the one source of the API's shapes. What the API returns for a real
 * shell run and a real Claude Code run (against the scripted model server) has every field of its
 * model, each valid, and no field the model lacks; so does the service's own view, before the HTTP
 * layer could have shaped it. The OpenAPI document states the models' fields and ranges.
 */

const scratch = hostScratch('openruntime-models-')
let model: ModelServer
let rt: TestRuntime
let repo = ''

beforeAll(async () => {
  const home = join(scratch.path, 'home')
  mkdirSync(home, { recursive: true })
  repo = makeRepo(join(scratch.path, 'repo'))
  model = startModelServer()
  rt = await startTestRuntime({
    HOME: home,
    ...claudeAgainst(model),
  })
})

afterAll(async () => {
  await rt?.close()
  await model?.stop()
  scratch.cleanup()
})

/** Every field of the model present and valid, and nothing outside it (at any depth). */
function expectModel(schema: TSchema, value: unknown) {
  expect([...Value.Errors(schema, value)].map((error) => `${error.path}: ${error.message}`)).toEqual([])
  expect(Value.Clean(schema, structuredClone(value))).toEqual(value)
}

/** Creates and runs a task through the API until it settles; returns its id. */
async function settledRun(body: Record<string, unknown>): Promise<string> {
  const created = await rt.call('POST', '/tasks', { title: 'a model check', workspace: repo, ...body })
  expect(created.status).toBe(200)
  const id = created.body.id as string
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  await waitFor(
    `task ${id} to settle`,
    async () => SETTLED.includes((await rt.call('GET', `/tasks/${id}`)).body.status),
    60_000,
  )
  return id
}

/** Everything the API says about one task, each answer checked against its model. */
async function expectEveryAnswerIsTheModel(id: string) {
  const task = (await rt.call('GET', `/tasks/${id}?events=all`)).body
  expectModel(TaskViewSchema, task)
  expectModel(TaskViewSchema, rt.runtime.tasks.view(id, 'all'))
  const listed = (await rt.call('GET', `/tasks?events=all`)).body.find((item: any) => item.id === id)
  expectModel(TaskViewSchema, listed)
  const events = (await rt.call('GET', `/tasks/${id}/events`)).body
  expect(events.length).toBe(task.events.length)
  for (const event of events) expectModel(TaskEventSchema, event)
  expectModel(TaskDiffViewSchema, (await rt.call('GET', `/tasks/${id}/diff`)).body)
  return task
}

describe('what the API returns is the model, exactly', () => {
  test('a shell task that ran, wrote output and changed a file', async () => {
    const id = await settledRun({
      runner: 'shell',
      prompt: '',
      command: 'echo out; echo err >&2; echo changed > file.txt',
      budget_minutes: 0.5,
      policy: { budget_cents: 100, max_runtime_minutes: 5, allowed_file_globs: ['src/**'] },
    })
    const task = await expectEveryAnswerIsTheModel(id)
    // The check covered the parts that are null before a run: an attempt, its limits, a frozen policy.
    expect(task.status).toBe('ready-for-review')
    expect(task.effective_policy).toMatchObject({ budget_cents: 100, max_runtime_minutes: 5 })
    expect(task.current_attempt.limits.output.stored_bytes).toBeGreaterThan(0)
    expect(task.events.some((event: any) => event.metadata !== null)).toBe(true)
    expect(task.events.map((event: any) => event.kind)).toEqual(expect.arrayContaining(['stdout', 'stderr']))
  })

  test('a Claude Code task, with its session, model usage and cost', async () => {
    const id = await settledRun({ runner: 'claude-code', prompt: 'SCRIPT:write-file hello.txt hello' })
    const task = await expectEveryAnswerIsTheModel(id)
    expect(task.status).toBe('ready-for-review')
    expect(task.runner_session_id).toBeString()
    expect(task.current_attempt.cost_ledger.input_tokens).toBeGreaterThan(0)
  })
})

describe('the OpenAPI document states the models', () => {
  const unwrapped = (schema: any) => schema.anyOf?.find((option: any) => option.type !== 'null') ?? schema

  test("the create body's policy has every policy field, each with the model's type and range", async () => {
    const document = await (await rt.handle('/swagger/json')).json()
    const body = document.paths['/tasks'].post.requestBody.content['application/json'].schema
    const stated = body.properties.policy.properties
    expect(Object.keys(stated)).toEqual(Object.keys(EffectivePolicySchema.properties))
    for (const [field, schema] of Object.entries(EffectivePolicySchema.properties)) {
      const inModel = unwrapped(schema) as Partial<RangedNumber>
      if (inModel.minimum === undefined) continue
      expect({ field, ...stated[field] }).toMatchObject({
        field,
        type: inModel.type,
        minimum: inModel.minimum,
        maximum: inModel.maximum,
      })
    }
  })

  test('a task as the document describes it has exactly the fields of the model', async () => {
    const document = await (await rt.handle('/swagger/json')).json()
    const task = document.paths['/tasks/{id}'].get.responses['200'].content['application/json'].schema
    expect(Object.keys(task.properties).sort()).toEqual(Object.keys(TaskViewSchema.properties).sort())
  })
})
