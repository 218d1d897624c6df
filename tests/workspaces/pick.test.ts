import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pickFolder } from '../../src/workspaces/index.ts'
import { tempDir } from '../support/temp.ts'

const tmp = tempDir('openruntime-pick-test-')
afterAll(tmp.cleanup)
const root = realpathSync(tmp.path)
const chosen = join(root, 'chosen folder')
mkdirSync(chosen)

/** A directory holding one executable `name` that runs `script` — a stand-in for the dialog program. */
function fakeDialog(name: string, script: string): string {
  const bin = join(root, `bin-${name}-${crypto.randomUUID()}`)
  mkdirSync(bin)
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`)
  chmodSync(join(bin, name), 0o755)
  return bin
}

describe('pickFolder', () => {
  test('without a dialog program, or without a display on Linux, it is 501 folder_dialog_unavailable', async () => {
    const empty = fakeDialog('unrelated', 'exit 0')
    const zenity = fakeDialog('zenity', `echo '${chosen}'`)
    for (const [platform, env] of [
      ['linux', { PATH: empty, DISPLAY: ':0' }],
      ['linux', { PATH: zenity }],
      ['darwin', { PATH: empty }],
      ['win32', { PATH: zenity }],
    ] as const) {
      await expect(pickFolder({ platform, env })).rejects.toMatchObject({
        kind: 'not_implemented',
        code: 'folder_dialog_unavailable',
      })
    }
  })

  test('zenity: the chosen folder comes back canonical; cancel is null', async () => {
    const pick = fakeDialog('zenity', `echo '${chosen}/../chosen folder'`)
    expect(await pickFolder({ platform: 'linux', env: { PATH: pick, DISPLAY: ':0' } })).toEqual({
      name: 'chosen folder',
      path: chosen,
    })
    const cancel = fakeDialog('zenity', 'exit 1')
    expect(
      await pickFolder({ platform: 'linux', env: { PATH: cancel, WAYLAND_DISPLAY: 'wayland-0' } }),
    ).toBeNull()
  })

  test('kdialog is used when zenity is missing; its arguments carry the prompt', async () => {
    const bin = fakeDialog(
      'kdialog',
      `[ "$1" = --getexistingdirectory ] && [ "$4" = 'Pick one' ] && echo '${chosen}'`,
    )
    expect(
      await pickFolder({ platform: 'linux', prompt: 'Pick one', env: { PATH: bin, DISPLAY: ':0' } }),
    ).toEqual({
      name: 'chosen folder',
      path: chosen,
    })
  })

  test('osascript on macOS: a dismissed dialog (-128) is null, other failures are errors', async () => {
    const cancel = fakeDialog('osascript', 'echo "execution error: User canceled. (-128)" >&2; exit 1')
    expect(await pickFolder({ platform: 'darwin', env: { PATH: cancel } })).toBeNull()
    const broken = fakeDialog('osascript', 'echo "boom" >&2; exit 1')
    await expect(pickFolder({ platform: 'darwin', env: { PATH: broken } })).rejects.toMatchObject({
      code: 'folder_dialog_failed',
    })
    const ok = fakeDialog('osascript', `echo '${chosen}/'`)
    expect(await pickFolder({ platform: 'darwin', env: { PATH: ok } })).toEqual({
      name: 'chosen folder',
      path: chosen,
    })
  })
})
