import { expect, test } from 'bun:test'
import { pullRequestArgv } from '../../src/integrations/forges'

const input = { cwd: '/repo', head: 'feature/x', base: 'main', title: 'T', body: 'B\n\nmore', draft: true }

test('gh and glab are asked for the same request in their own words', () => {
  expect(pullRequestArgv('/bin/gh', { ...input, tool: 'gh' })).toEqual([
    '/bin/gh',
    'pr',
    'create',
    '--head',
    'feature/x',
    '--base',
    'main',
    '--title',
    'T',
    '--body',
    'B\n\nmore',
    '--draft',
  ])
  expect(pullRequestArgv('/bin/glab', { ...input, tool: 'glab', draft: false })).toEqual([
    '/bin/glab',
    'mr',
    'create',
    '--source-branch',
    'feature/x',
    '--target-branch',
    'main',
    '--title',
    'T',
    '--description',
    'B\n\nmore',
    '--yes',
  ])
})
