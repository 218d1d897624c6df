import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AppError } from '../../src/errors'
import { detectSandbox, normalizePolicy, type PolicyInput, sandboxCommand } from '../../src/policy'

const UNAVAILABLE = { available: false, reason: 'bubblewrap (bwrap) is not installed' }

describe('sandboxCommand without bubblewrap', () => {
  const request = { argv: ['make'], writableDirs: [], cwd: '/', home: '/nonexistent' }

  test('runs unsandboxed and says why', () => {
    expect(sandboxCommand({ ...request, policy: normalizePolicy(undefined), sandbox: UNAVAILABLE })).toEqual({
      argv: ['make'],
      active: false,
      reason: 'not sandboxed: bubblewrap (bwrap) is not installed',
    })
  })

  test('refuses when the policy requires a sandbox, saying how to install it', () => {
    let error: unknown
    try {
      sandboxCommand({ ...request, policy: normalizePolicy({ require_sandbox: true }), sandbox: UNAVAILABLE })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).kind).toBe('precondition')
    expect((error as AppError).code).toBe('sandbox_required')
    expect((error as AppError).message).toContain('apt-get install bubblewrap')
  })
})

describe('sandboxCommand arguments', () => {
  const info = { available: true, bwrap_path: '/usr/bin/bwrap', version: '0' }
  const argvFor = (input: PolicyInput) => {
    const result = sandboxCommand({
      argv: ['true'],
      policy: normalizePolicy(input),
      writableDirs: ['/'],
      cwd: '/',
      home: '/nonexistent',
      sandbox: info,
    })
    return result.argv
  }

  test('network namespace unless the mode is enabled', () => {
    expect(argvFor({})).toContain('--unshare-net')
    expect(argvFor({ network_mode: 'localhost' })).toContain('--unshare-net')
    expect(argvFor({ network_mode: 'enabled' })).not.toContain('--unshare-net')
  })

  test('mounts are bound read-only after the private /tmp; further programs under /tmp are shown again', () => {
    const dir = mkdtempSync('/tmp/openruntime-mount-')
    writeFileSync(join(dir, 'cli'), '')
    try {
      const { argv } = sandboxCommand({
        argv: ['/usr/bin/env', 'true'],
        policy: normalizePolicy({}),
        writableDirs: [],
        cwd: '/',
        home: '/nonexistent',
        mounts: [{ source: dir, target: '/tmp/.inside' }],
        programs: [join(dir, 'cli')],
        sandbox: info,
      })
      const at = (flags: string[]) =>
        argv.findIndex((_, i) => flags.every((flag, offset) => argv[i + offset] === flag))
      expect(at(['--ro-bind', dir, '/tmp/.inside'])).toBeGreaterThan(at(['--tmpfs', '/tmp']))
      expect(at(['--ro-bind', dir, dir])).toBeGreaterThan(at(['--tmpfs', '/tmp']))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('stays in the caller’s session and dies with it', () => {
    const argv = argvFor({})
    expect(argv).not.toContain('--new-session')
    expect(argv).toContain('--die-with-parent')
    expect(argv).toContain('--unshare-pid')
    expect(argv.slice(-2)).toEqual(['--', 'true'])
  })

  test('full access is not sandboxed unless a sandbox is required', () => {
    const full = { network_mode: 'enabled' as const, allow_git_write: true, allow_secrets: true }
    expect(
      sandboxCommand({
        argv: ['x'],
        policy: normalizePolicy(full),
        writableDirs: [],
        cwd: '/',
        home: '/',
        sandbox: info,
      }),
    ).toEqual({
      argv: ['x'],
      active: false,
      reason: 'not sandboxed: the policy allows full access',
    })
    expect(argvFor({ ...full, require_sandbox: true })[0]).toBe('/usr/bin/bwrap')
  })
})

const sandbox = detectSandbox()
if (!sandbox.available) console.warn(`skipping the real sandbox tests: ${sandbox.reason}`)

describe.skipIf(!sandbox.available)('a real bubblewrap sandbox', () => {
  // Not under /tmp: the sandbox gets a private /tmp, which would hide these paths anyway.
  let root = ''
  let home = ''
  let work = ''
  let outside = ''
  let repo = ''
  let server: ReturnType<typeof Bun.serve> | undefined

  beforeAll(() => {
    root = mkdtempSync('/var/tmp/policy-sandbox-')
    home = join(root, 'home')
    work = join(root, 'work')
    outside = join(root, 'outside')
    repo = join(root, 'repo')
    for (const dir of [join(home, '.ssh'), work, outside, repo]) mkdirSync(dir, { recursive: true })
    writeFileSync(join(home, '.ssh', 'id_rsa'), 'PLANTED-PRIVATE-KEY')
    writeFileSync(join(repo, '.env'), 'PLANTED_ENV=1')
    writeFileSync(join(repo, 'README'), 'readable')
    server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('host-server') })
  })

  afterAll(() => {
    server?.stop(true)
    rmSync(root, { recursive: true, force: true })
  })

  async function run(script: string, input: PolicyInput = {}) {
    const result = sandboxCommand({
      argv: ['sh', '-c', script],
      policy: normalizePolicy({ blocked_commands: [], ...input }),
      writableDirs: [work],
      cwd: work,
      home,
      hideFiles: [join(repo, '.env')],
    })
    expect(result.active).toBe(true)
    const proc = Bun.spawn(result.argv, {
      env: { PATH: process.env.PATH, HOME: home },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ])
    return { stdout, stderr, code }
  }

  const fetchHost = () => `curl -sS --max-time 5 http://127.0.0.1:${server?.port}/`

  test('the host is reachable without the sandbox (control)', async () => {
    const response = await fetch(`http://127.0.0.1:${server?.port}/`)
    expect(await response.text()).toBe('host-server')
  })

  test('cannot connect to a server on the host loopback when the network is disabled', async () => {
    const result = await run(fetchHost())
    expect(result.code).not.toBe(0)
    expect(result.stdout).not.toContain('host-server')
  })

  test('cannot reach the host loopback in localhost mode either', async () => {
    const result = await run(fetchHost(), { network_mode: 'localhost' })
    expect(result.code).not.toBe(0)
    expect(result.stdout).not.toContain('host-server')
  })

  test('reaches the host when the network is enabled', async () => {
    const result = await run(fetchHost(), { network_mode: 'enabled' })
    expect(result.stdout).toBe('host-server')
  })

  test('in localhost mode, reaches a server started inside the sandbox', async () => {
    writeFileSync(
      join(work, 'loopback.ts'),
      [
        "const s = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('inside') })",
        "const r = await fetch('http://127.0.0.1:' + s.port + '/')",
        'console.log(await r.text())',
        's.stop(true)',
      ].join('\n'),
    )
    const result = await run(`'${process.execPath}' loopback.ts`, { network_mode: 'localhost' })
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('inside')
  })

  test('can write inside its writable dir, which the host then sees', async () => {
    const result = await run('echo made > inside.txt && cat inside.txt')
    expect(result.code).toBe(0)
    expect(readFileSync(join(work, 'inside.txt'), 'utf8')).toBe('made\n')
  })

  test('cannot write outside its writable dirs', async () => {
    const result = await run(`echo nope > '${join(outside, 'f.txt')}'`)
    expect(result.code).not.toBe(0)
    expect(existsSync(join(outside, 'f.txt'))).toBe(false)
  })

  test('can read the rest of the filesystem', async () => {
    const result = await run(`cat '${join(repo, 'README')}'`)
    expect(result.stdout).toBe('readable')
  })

  test('cannot read a planted ~/.ssh/id_rsa', async () => {
    const result = await run('cat "$HOME/.ssh/id_rsa"')
    expect(result.code).not.toBe(0)
    expect(result.stdout).not.toContain('PLANTED')
  })

  test('cannot read a hidden .env file (bwrap binds are nodev, so /dev/null over it refuses reads)', async () => {
    const result = await run(`cat '${join(repo, '.env')}'`)
    expect(result.code).not.toBe(0)
    expect(result.stdout).not.toContain('PLANTED')
  })

  test('secret locations stay visible when the policy allows secrets', async () => {
    const result = await run('cat "$HOME/.ssh/id_rsa"', { allow_secrets: true })
    expect(result.stdout).toBe('PLANTED-PRIVATE-KEY')
  })

  test('gets a private /tmp', async () => {
    const marker = join('/tmp', `policy-sandbox-marker-${process.pid}`)
    const result = await run(`echo x > '${marker}' && cat '${marker}'`)
    expect(result.stdout).toBe('x\n')
    expect(existsSync(marker)).toBe(false)
  })
})
