import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { listFolders } from '../../src/workspaces/index.ts'
import { gitSync } from '../support/git-repo.ts'
import { tempDir } from '../support/temp.ts'

const tmp = tempDir('openruntime-browse-test-')
afterAll(tmp.cleanup)
const root = realpathSync(tmp.path)
for (const folder of ['alpha', 'Beta', 'repo', '.hidden', 'target/inner'])
  mkdirSync(join(root, folder), { recursive: true })
writeFileSync(join(root, 'notes.txt'), 'a file, not listed\n')
symlinkSync(join(root, 'target'), join(root, 'shortcut'))
symlinkSync(join(root, 'notes.txt'), join(root, 'file-link'))
gitSync(join(root, 'repo'), 'init', '-q')

describe('listFolders', () => {
  test('lists sub-folders only, sorted, hidden ones skipped, git checkouts flagged', async () => {
    const listing = await listFolders(root)
    expect(listing.path).toBe(root)
    expect(listing.parent).toBe(dirname(root))
    expect(listing.entries).toEqual([
      { name: 'alpha', path: join(root, 'alpha'), is_git: false },
      { name: 'Beta', path: join(root, 'Beta'), is_git: false },
      { name: 'repo', path: join(root, 'repo'), is_git: true },
      { name: 'shortcut', path: join(root, 'target'), is_git: false },
      { name: 'target', path: join(root, 'target'), is_git: false },
    ])
  })

  test('hidden folders on request', async () => {
    const names = (await listFolders(root, { showHidden: true })).entries.map((entry) => entry.name)
    expect(names).toContain('.hidden')
  })

  test('the path is canonicalised, and the root has no parent', async () => {
    expect((await listFolders(join(root, 'target', 'inner', '..', '..', 'alpha'))).path).toBe(
      join(root, 'alpha'),
    )
    expect((await listFolders('/')).parent).toBeNull()
  })

  test('files, ../ into files and missing paths are 400-style errors', async () => {
    for (const [input, code] of [
      [join(root, 'notes.txt'), 'not_a_directory'],
      [`${root}/alpha/../notes.txt`, 'not_a_directory'],
      [`${root}/notes.txt/../alpha`, 'not_a_directory'],
      [join(root, 'file-link'), 'not_a_directory'],
      [`${root}/nope/../..`, 'path_not_found'],
    ] as const) {
      await expect(listFolders(input)).rejects.toMatchObject({ kind: 'invalid', code })
    }
  })
})
