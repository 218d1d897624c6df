import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { discoverRepositories } from '../../src/workspaces/index.ts'
import { gitSync, makeRepo } from '../support/git-repo.ts'
import { tempDir } from '../support/temp.ts'

const tmp = tempDir('openruntime-discover-test-')
afterAll(tmp.cleanup)
const home = realpathSync(tmp.path)
const repo = (path: string) => makeRepo(join(home, path))

const depth1 = repo('one')
const depth3 = repo('code/a/b/three')
repo('code/a/b/c/four')
repo('code/node_modules/dep')
repo('.config/hidden-repo')
repo('one/vendor/nested')
const linked = join(home, 'code', 'linked')
gitSync(depth1, 'worktree', 'add', '-q', '-b', 'side', linked)
mkdirSync(join(home, 'elsewhere'))
const outside = makeRepo(join(home, 'elsewhere', 'outside'))
symlinkSync(join(home, 'elsewhere'), join(home, 'code', 'via-link'))

describe('discoverRepositories', () => {
  test('finds repositories (and linked worktrees) up to three levels down, skipping hidden, node_modules, symlinks and nested repos', async () => {
    const found = await discoverRepositories({ roots: [join(home, 'code'), depth1] })
    expect(found.map((entry) => entry.path).sort()).toEqual([depth1, linked, depth3].sort())
    expect(found.find((entry) => entry.path === depth3)?.name).toBe('three')
  })

  test('from the home root, depth counts from the root', async () => {
    const found = (await discoverRepositories({ roots: [home], maxDepth: 2 })).map((entry) => entry.path)
    expect(found).toContain(depth1)
    expect(found).toContain(outside)
    expect(found).not.toContain(depth3)
  })

  test('bounded: result cap and missing roots', async () => {
    expect(await discoverRepositories({ roots: [home], maxResults: 1 })).toHaveLength(1)
    expect(await discoverRepositories({ roots: [join(home, 'missing')] })).toEqual([])
  })
})
