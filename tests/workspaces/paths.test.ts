import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative } from 'node:path'
import { canonicalDirectory, resolveWorkspace } from '../../src/workspaces/index.ts'
import { tempDir } from '../support/temp.ts'

const tmp = tempDir('openruntime-ws-test-')
afterAll(tmp.cleanup)
const root = realpathSync(tmp.path)
mkdirSync(join(root, 'project', 'src'), { recursive: true })
writeFileSync(join(root, 'project', 'file.txt'), 'not a folder\n')
symlinkSync(join(root, 'project', 'src'), join(root, 'link-to-src'))

describe('resolveWorkspace (registration)', () => {
  test('canonicalises through .. and symlinks and names the folder after its last component', async () => {
    expect(await resolveWorkspace(`${root}/project/src/..`)).toEqual({
      name: 'project',
      path: join(root, 'project'),
    })
    expect(await resolveWorkspace(join(root, 'link-to-src'))).toEqual({
      name: 'src',
      path: join(root, 'project', 'src'),
    })
  })

  test('a relative path is taken against the given base, ~ against the home directory', async () => {
    expect((await resolveWorkspace('project/src', root)).path).toBe(join(root, 'project', 'src'))
    expect(await canonicalDirectory('~')).toBe(realpathSync(homedir()))
    expect(await canonicalDirectory(relative(process.cwd(), join(root, 'project')))).toBe(
      join(root, 'project'),
    )
  })

  test('refuses, with a 400-style error saying why: files, ../ into files, missing paths, NUL, empty', async () => {
    const cases: Array<[string, string]> = [
      [join(root, 'project', 'file.txt'), 'not_a_directory'],
      // Written out: path.join would fold the `..` away before the code under test sees it.
      [`${root}/project/src/../file.txt`, 'not_a_directory'],
      [`${root}/project/file.txt/../src`, 'not_a_directory'],
      [join(root, 'project', 'missing'), 'path_not_found'],
      [`${root}/project/missing/../src`, 'path_not_found'],
      [`${root}/project\0/src`, 'invalid_path'],
      ['  ', 'invalid_path'],
    ]
    for (const [input, code] of cases) {
      const failure = await resolveWorkspace(input).catch((error) => error)
      expect(failure).toMatchObject({ kind: 'invalid', code })
      expect(failure.message.length).toBeGreaterThan(10)
    }
  })
})
