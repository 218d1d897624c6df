import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { claudeAdapter, codexAdapter } from '../../src/agents'
import { AGENTS_BIN, agentBinary } from './harness'

const scratch = mkdtempSync(join(tmpdir(), 'openruntime-availability-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('agent availability', () => {
  test('a CLI missing from PATH is unavailable, with the reason', async () => {
    expect(await claudeAdapter.availability({ path: scratch })).toEqual({
      runner: 'claude-code',
      available: false,
      path: null,
      version: null,
      reason: '"claude" was not found on PATH',
    })
  })

  test('an explicit binary that does not exist is unavailable', async () => {
    const result = await codexAdapter.availability({ bin: join(scratch, 'nope', 'codex') })
    expect(result).toMatchObject({ available: false, path: join(scratch, 'nope', 'codex') })
    expect(result.reason).toContain('is not an executable file')
  })

  test('a binary that cannot report its version is unavailable', async () => {
    const broken = join(scratch, 'codex')
    writeFileSync(broken, '#!/bin/sh\necho "broken install" >&2\nexit 3\n')
    chmodSync(broken, 0o755)
    const result = await codexAdapter.availability({ path: scratch })
    expect(result).toMatchObject({ runner: 'codex', available: false, path: broken, version: null })
    expect(result.reason).toContain('broken install')
  })

  test('the pinned CLIs are found on PATH or by explicit path, with their versions', async () => {
    const path = `${AGENTS_BIN}:${process.env.PATH ?? ''}`
    expect(await claudeAdapter.availability({ path })).toEqual({
      runner: 'claude-code',
      available: true,
      path: agentBinary('claude'),
      version: '2.1.330',
      reason: null,
    })
    expect(await codexAdapter.availability({ bin: agentBinary('codex') })).toMatchObject({
      available: true,
      version: '0.169.0',
    })
  }, 30_000)
})
