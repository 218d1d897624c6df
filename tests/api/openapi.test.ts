import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { startTestRuntime, type TestRuntime } from '../support/runtime'

let rt: TestRuntime
beforeAll(async () => {
  rt = await startTestRuntime()
})
afterAll(() => rt?.close())

const ROUTES = [
  ['get', '/health'],
  ['get', '/runners'],
  ['get', '/runner-sessions'],
  ['get', '/workspaces'],
  ['post', '/workspaces/pick'],
  ['post', '/workspaces/register'],
  ['get', '/tasks'],
  ['post', '/tasks'],
  ['get', '/tasks/{id}'],
  ['delete', '/tasks/{id}'],
  ['get', '/tasks/{id}/events'],
  ['get', '/tasks/{id}/stream'],
  ['get', '/events/stream'],
  ['post', '/tasks/{id}/start'],
  ['post', '/tasks/{id}/stop'],
  ['post', '/tasks/{id}/approve'],
  ['post', '/tasks/{id}/reply'],
  ['get', '/tasks/{id}/diff'],
  ['post', '/tasks/{id}/worktree/merge'],
  ['post', '/tasks/{id}/worktree/cleanup'],
  ['post', '/tasks/{id}/worktree/restore'],
  ['get', '/tasks/{id}/runner/logs'],
  ['post', '/tasks/{id}/runner/attach'],
  ['get', '/policies/presets'],
  ['get', '/task-groups'],
  ['get', '/task-groups/{id}'],
  ['get', '/task-groups/{id}/compare'],
  ['post', '/task-groups/{id}/start'],
  ['post', '/task-groups/{id}/stop'],
  ['post', '/task-groups/{id}/reply'],
  ['post', '/task-groups/{id}/pick'],
] as const

test('the OpenAPI document is valid and describes every route', async () => {
  const document = await (await rt.handle('/swagger/json')).json()
  const validator = new Validator()
  const result = await validator.validate(document)
  expect(result.errors ?? []).toEqual([])
  expect(result.valid).toBe(true)
  for (const [method, path] of ROUTES) {
    expect(document.paths[path]?.[method]).toBeDefined()
  }
  expect(document.paths['/tasks'].post.requestBody).toBeDefined()
  expect(
    document.paths['/tasks/{id}'].get.parameters.some((p: any) => p.in === 'path' && p.name === 'id'),
  ).toBe(true)
  expect(Object.keys(document.paths).some((path) => path.startsWith('/vendor'))).toBe(false)
})

test('Swagger UI is served with local assets only', async () => {
  const page = await (await rt.handle('/swagger')).text()
  const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])
  expect(sources.length).toBeGreaterThan(1)
  for (const source of sources) {
    expect(source).toStartWith('/vendor/swagger-ui/')
    expect((await rt.handle(`${source}`)).status).toBe(200)
  }
})
