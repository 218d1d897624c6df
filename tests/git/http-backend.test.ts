import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { AccessFile } from '../support/git-remote-server'
import { gitSync, makeRepo } from '../support/git-repo'
import { startTestRuntime } from '../support/runtime'
import { type ServerProcess, spawnServer } from '../support/server-process'
import { tempDir } from '../support/temp'

/**
 * The git endpoint served to runner hosts, driven by the real git CLI against a real server
 * process: a runner fetches its base commit and pushes snapshots into its own attempt namespace;
 * everything else a hostile runner might push, or ask for, is refused and leaves the user's
 * repository as it was.
 */

const MAX_PUSH = 6 * 1024 * 1024
const ZERO = '0'.repeat(40)
const TOKEN_A = `ort_${'a'.repeat(43)}`
const TOKEN_B = `ort_${'b'.repeat(43)}`
const REVOKED = `ort_${'r'.repeat(43)}`

const dir = tempDir('openruntime-git-http-')
const repo = join(dir.path, 'workspace')
const other = join(dir.path, 'other-workspace')
const tricky = join(dir.path, 'tricky-workspace')
const accessFile = join(dir.path, 'access.json')
let server: ServerProcess
let base: string
let tip: string
let before: RepoState

const access: AccessFile = {
  hosts: {
    [TOKEN_A]: { id: 'host-a', name: 'alpha' },
    [TOKEN_B]: { id: 'host-b', name: 'beta' },
    [REVOKED]: { id: 'host-r', name: 'revoked' },
  },
  repositories: {
    'host-a': { ws1: repo, ws3: tricky },
    'host-b': { ws2: other },
    'host-r': { ws1: repo },
  },
  attempts: { 'host-a': ['att-1'], 'host-b': ['att-2'], 'host-r': ['att-r'] },
}
const writeAccess = () => writeFileSync(accessFile, JSON.stringify(access))

interface Result {
  code: number
  stdout: string
  stderr: string
}

/** The real git CLI as a runner host uses it: its own HOME, no system config, never a prompt. */
function client(cwd: string, args: string[], token: string | null = TOKEN_A): Result {
  const auth = token === null ? [] : ['-c', `http.extraHeader=Authorization: Bearer ${token}`]
  const result = Bun.spawnSync(
    ['git', '-c', 'user.name=Runner', '-c', 'user.email=runner@localhost', ...auth, ...args],
    {
      cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: join(dir.path, 'runner-home'),
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
      },
    },
  )
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

const url = (name: string) => `${server.url}/git/${name}.git`

/** A fresh runner-side repository holding the base commit, fetched over the endpoint. */
function runnerCheckout(name: string): string {
  const path = join(dir.path, 'runners', name)
  mkdirSync(path, { recursive: true })
  gitSync(path, 'init', '-q')
  const fetched = client(path, ['fetch', '-q', url('ws1'), base])
  expect(fetched.stderr).toBe('')
  expect(fetched.code).toBe(0)
  gitSync(path, 'checkout', '-q', '--detach', base)
  return path
}

/** Every ref, where HEAD points, the config, the working tree's state and every object file. */
interface RepoState {
  refs: string
  head: string
  config: string
  status: string
  objects: string[]
}

function stateOf(path: string): RepoState {
  const objectsDir = join(path, '.git', 'objects')
  const files: string[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const full = join(at, entry)
      if (statSync(full).isDirectory()) walk(full)
      else files.push(relative(objectsDir, full))
    }
  }
  walk(objectsDir)
  return {
    refs: gitSync(path, 'for-each-ref', '--format=%(refname) %(objectname) %(symref)'),
    head: gitSync(path, 'symbolic-ref', 'HEAD'),
    config: readFileSync(join(path, '.git', 'config'), 'utf8'),
    status: gitSync(path, 'status', '--porcelain', '--ignored'),
    objects: files.sort(),
  }
}

const refOf = (path: string, ref: string) =>
  Bun.spawnSync(['git', 'rev-parse', '-q', '--verify', ref], { cwd: path }).stdout.toString().trim()

/** A push's pkt-line command list and pack, sent by hand: what a client that bends the rules would send. */
async function rawPush(
  commands: string[],
  pack: Uint8Array,
  options: { gzip?: boolean; token?: string } = {},
): Promise<{ status: number; body: string }> {
  const pkt = (line: string) => `${(Buffer.byteLength(line) + 4).toString(16).padStart(4, '0')}${line}`
  const list = commands
    .map((command, i) =>
      pkt(i === 0 ? `${command}\0report-status side-band-64k agent=test\n` : `${command}\n`),
    )
    .join('')
  const plain = Buffer.concat([Buffer.from(`${list}0000`), pack])
  const response = await fetch(`${url('ws1')}/git-receive-pack`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${options.token ?? TOKEN_A}`,
      'content-type': 'application/x-git-receive-pack-request',
      ...(options.gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body: options.gzip ? gzipSync(plain) : plain,
  })
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()).toString('latin1') }
}

/** A pack with one new commit (on the base) that a raw push can carry. */
function packOfNewCommit(runner: string): { commit: string; pack: Uint8Array } {
  writeFileSync(join(runner, 'raw.txt'), `${Math.random()}\n`)
  gitSync(runner, 'add', 'raw.txt')
  gitSync(runner, 'commit', '-q', '-m', 'raw')
  const commit = gitSync(runner, 'rev-parse', 'HEAD').trim()
  const pack = Bun.spawnSync(['git', 'pack-objects', '--stdout', '--revs', '-q'], {
    cwd: runner,
    stdin: Buffer.from(`${commit}\n^${base}\n`),
  }).stdout
  return { commit, pack }
}

beforeAll(async () => {
  makeRepo(repo, { 'README.md': 'hello\n', 'src/app.ts': 'export {}\n' })
  base = gitSync(repo, 'rev-parse', 'HEAD').trim()
  writeFileSync(join(repo, 'README.md'), 'hello again\n')
  gitSync(repo, 'commit', '-q', '-am', 'second')
  // The base is no longer a tip: a runner fetches it by id, as reachable from main.
  tip = gitSync(repo, 'rev-parse', 'HEAD').trim()
  gitSync(repo, 'config', 'user.name', 'Workspace Owner')
  makeRepo(other, { 'OTHER.md': 'someone else\n' })
  makeRepo(tricky, { 'README.md': 'tricky\n' })
  writeAccess()
  server = await spawnServer(
    {
      OPENRUNTIME_DB: join(dir.path, 'data', 'openruntime.sqlite3'),
      OPENRUNTIME_TEST_GIT_ACCESS: accessFile,
      OPENRUNTIME_GIT_MAX_PUSH_BYTES: String(MAX_PUSH),
    },
    { entry: join(import.meta.dir, '..', 'support', 'git-remote-server.ts') },
  )
  before = stateOf(repo)
})

afterAll(async () => {
  await server?.kill('SIGTERM')
  dir.cleanup()
})

describe('a runner host fetches its base commit and pushes its snapshot', () => {
  test('the base commit is fetched by id (Bearer token), though no ref names it', () => {
    const runner = runnerCheckout('fetch')
    expect(gitSync(runner, 'rev-parse', 'FETCH_HEAD').trim()).toBe(base)
    expect(gitSync(runner, 'show', `${base}:README.md`)).toBe('hello\n')
  })

  test('HTTP Basic with the token as the password, as git sends a credential from the URL after a 401', () => {
    const runner = join(dir.path, 'runners', 'basic')
    mkdirSync(runner, { recursive: true })
    gitSync(runner, 'init', '-q')
    const withCredential = url('ws1').replace('http://', `http://runner:${TOKEN_A}@`)
    const fetched = client(runner, ['fetch', '-q', withCredential, base], null)
    expect(fetched.code).toBe(0)
    expect(gitSync(runner, 'rev-parse', 'FETCH_HEAD').trim()).toBe(base)
  })

  test('the advertisement names only HEAD and the attempt refs this host may write', () => {
    const planted = ['refs/openruntime/attempts/att-9/snapshot', 'refs/openruntime/attempts/att-1/seen']
    for (const ref of planted) gitSync(repo, 'update-ref', ref, tip)
    try {
      const listed = client(dir.path, ['ls-remote', url('ws1')])
      expect(listed.code).toBe(0)
      const names = listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[1])
      expect(names).toEqual(['HEAD', 'refs/openruntime/attempts/att-1/seen'])
    } finally {
      for (const ref of planted) gitSync(repo, 'update-ref', '-d', ref)
    }
  })

  test('a commit no ref reaches cannot be fetched: protocol v2 is not spoken, v0 checks reachability', () => {
    const tree = gitSync(repo, 'rev-parse', `${tip}^{tree}`).trim()
    const dangling = gitSync(repo, 'commit-tree', '-m', 'dangling', tree).trim()
    const runner = join(dir.path, 'runners', 'dangling')
    mkdirSync(runner, { recursive: true })
    gitSync(runner, 'init', '-q')
    const asV2 = client(runner, ['-c', 'protocol.version=2', 'fetch', '-q', url('ws1'), dangling])
    expect(asV2.code).not.toBe(0)
    expect(asV2.stderr).toContain('not our ref')
    before = { ...before, objects: stateOf(repo).objects }
  })

  test('a snapshot holding only an untracked file is pushed to the attempt namespace, then replaced', () => {
    const runner = runnerCheckout('snapshot')
    writeFileSync(join(runner, 'notes.txt'), 'written by the run\n')
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'snapshot')
    const first = gitSync(runner, 'rev-parse', 'HEAD').trim()
    const ref = 'refs/openruntime/attempts/att-1/snapshot'
    const pushed = client(runner, ['push', '-q', url('ws1'), `HEAD:${ref}`])
    expect(pushed.stderr).toBe('')
    expect(pushed.code).toBe(0)
    expect(refOf(repo, ref)).toBe(first)
    expect(gitSync(repo, 'show', `${ref}:notes.txt`)).toBe('written by the run\n')

    // The next snapshot is made on the base again, not on the last one: a forced update.
    gitSync(runner, 'reset', '-q', '--hard', base)
    writeFileSync(join(runner, 'notes.txt'), 'later\n')
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'snapshot 2')
    const second = gitSync(runner, 'rev-parse', 'HEAD').trim()
    const forced = client(runner, ['push', '-q', '--force', url('ws1'), `HEAD:${ref}`])
    expect(forced.code).toBe(0)
    expect(refOf(repo, ref)).toBe(second)
    expect(gitSync(repo, 'show', `${ref}:notes.txt`)).toBe('later\n')
  })

  test('a pack larger than the API body limit streams through (sent chunked)', () => {
    const runner = runnerCheckout('large')
    writeFileSync(join(runner, 'blob.bin'), randomBytes(3 * 1024 * 1024))
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'large')
    const pushed = client(runner, ['push', '-q', url('ws1'), 'HEAD:refs/openruntime/attempts/att-1/large'])
    expect(pushed.code).toBe(0)
    expect(refOf(repo, 'refs/openruntime/attempts/att-1/large')).toBe(
      gitSync(runner, 'rev-parse', 'HEAD').trim(),
    )
  })
})

describe('a push outside the attempt namespace is refused whole, nothing written', () => {
  let runner: string
  let refsBefore: string
  let objectsBefore: string[]

  beforeAll(() => {
    runner = runnerCheckout('refused')
    writeFileSync(join(runner, 'evil.txt'), 'overwrite\n')
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'evil')
  })

  const snapshotNow = () => {
    refsBefore = stateOf(repo).refs
    objectsBefore = stateOf(repo).objects
  }
  const unchanged = () => {
    expect(stateOf(repo).refs).toBe(refsBefore)
    expect(stateOf(repo).objects).toEqual(objectsBefore)
  }

  for (const target of [
    'refs/heads/main',
    'refs/tags/x',
    'refs/openruntime/attempts/att-2/snapshot',
    'refs/openruntime/attempts/att-10/snapshot',
  ]) {
    test(`to ${target}`, () => {
      snapshotNow()
      const pushed = client(runner, ['push', '--force', url('ws1'), `HEAD:${target}`])
      expect(pushed.code).not.toBe(0)
      expect(pushed.stderr).toContain('[remote rejected]')
      expect(pushed.stderr).toContain("outside this runner host's attempt namespaces")
      expect(pushed.stderr).toContain('remote: openRuntime: push refused, nothing was written')
      unchanged()
    })
  }

  test('an allowed ref together with a refused one: neither is written', () => {
    snapshotNow()
    const pushed = client(runner, [
      'push',
      '--force',
      url('ws1'),
      'HEAD:refs/openruntime/attempts/att-1/fine',
      'HEAD:refs/heads/main',
    ])
    expect(pushed.code).not.toBe(0)
    expect(pushed.stderr).toContain('push refused with it: refs/heads/main')
    expect(refOf(repo, 'refs/openruntime/attempts/att-1/fine')).toBe('')
    unchanged()
  })

  test('deleting a ref of its own attempt', () => {
    snapshotNow()
    const pushed = client(runner, ['push', url('ws1'), ':refs/openruntime/attempts/att-1/large'])
    expect(pushed.code).not.toBe(0)
    expect(pushed.stderr).toContain('may not be deleted')
    unchanged()
  })

  test('HEAD, which the git CLI will not name as a destination (sent by hand)', async () => {
    snapshotNow()
    const { commit, pack } = packOfNewCommit(runner)
    const answer = await rawPush([`${tip} ${commit} HEAD`], pack)
    expect(answer.status).toBe(200)
    expect(answer.body).toContain("ng HEAD is outside this runner host's attempt namespaces")
    unchanged()
  })

  test('ref names the git CLI would not send: "..", a lock file, a hidden component (sent by hand)', async () => {
    snapshotNow()
    const { commit, pack } = packOfNewCommit(runner)
    for (const ref of [
      'refs/openruntime/attempts/att-1/../../../heads/main',
      'refs/openruntime/attempts/att-1/..',
      'refs/openruntime/attempts/att-1/x.lock',
      'refs/openruntime/attempts/att-1/.hidden',
      'refs/openruntime/attempts/att-1//double',
    ]) {
      const answer = await rawPush([`${ZERO} ${commit} ${ref}`], pack)
      expect(answer.status).toBe(200)
      expect(answer.body).toContain(`ng ${ref} is not an acceptable ref name`)
    }
    unchanged()
  })

  test('a gzip-encoded push is read decoded: its commands are checked all the same', async () => {
    snapshotNow()
    const { commit, pack } = packOfNewCommit(runner)
    const answer = await rawPush([`${tip} ${commit} refs/heads/main`], pack, { gzip: true })
    expect(answer.body).toContain("ng refs/heads/main is outside this runner host's attempt namespaces")
    unchanged()
  })

  test('a command list with a push certificate or shallow line is refused as malformed (400)', async () => {
    snapshotNow()
    const { commit, pack } = packOfNewCommit(runner)
    for (const line of ['push-cert', `shallow ${commit}`]) {
      const answer = await rawPush([line, `${ZERO} ${commit} refs/openruntime/attempts/att-1/cert`], pack)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body).error.code).toBe('malformed_push')
    }
    unchanged()
  })
})

describe('symbolic refs and links inside the namespace lead nowhere', () => {
  let runner: string

  beforeAll(() => {
    const tipOfTricky = gitSync(tricky, 'rev-parse', 'HEAD').trim()
    runner = join(dir.path, 'runners', 'tricky')
    mkdirSync(runner, { recursive: true })
    gitSync(runner, 'init', '-q')
    expect(client(runner, ['fetch', '-q', url('ws3'), tipOfTricky]).code).toBe(0)
    gitSync(runner, 'checkout', '-q', '--detach', tipOfTricky)
    writeFileSync(join(runner, 'evil.txt'), 'evil\n')
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'evil')
    // What the user's repository might hold in a namespace: a symbolic ref to main, and a folder
    // of loose refs that is a link to refs/heads.
    gitSync(tricky, 'symbolic-ref', 'refs/openruntime/attempts/att-1/link', 'refs/heads/main')
    symlinkSync('../../../heads', join(tricky, '.git', 'refs', 'openruntime', 'attempts', 'att-1', 'dir'))
  })

  for (const [target, reason] of [
    ['refs/openruntime/attempts/att-1/link', 'is a symbolic ref to refs/heads/main'],
    ['refs/openruntime/attempts/att-1/dir/main', 'refs/openruntime/attempts/att-1/dir is a symbolic link'],
  ] as const) {
    test(`a push to ${target}`, () => {
      const mainBefore = refOf(tricky, 'refs/heads/main')
      const pushed = client(runner, ['push', '--force', url('ws3'), `HEAD:${target}`])
      expect(pushed.code).not.toBe(0)
      expect(pushed.stderr).toContain(reason)
      expect(refOf(tricky, 'refs/heads/main')).toBe(mainBefore)
    })
  }
})

describe('hostile objects are refused by the repository', () => {
  let runner: string

  beforeAll(() => {
    runner = runnerCheckout('hostile')
  })

  const pushCommit = (commit: string, name: string) => {
    const ref = `refs/openruntime/attempts/att-1/${name}`
    const pushed = client(runner, ['push', '--force', url('ws1'), `${commit}:${ref}`])
    expect(pushed.code).not.toBe(0)
    expect(refOf(repo, ref)).toBe('')
    return pushed.stderr
  }

  const hash = (type: string, content: string) =>
    Bun.spawnSync(['git', 'hash-object', '-w', '--literally', '-t', type, '--stdin'], {
      cwd: runner,
      stdin: Buffer.from(content),
    })
      .stdout.toString()
      .trim()

  test('a commit whose tree holds .git/config', () => {
    const objectsBefore = stateOf(repo).objects
    const config = hash('blob', '[core]\n\tfsmonitor = touch /tmp/pwned\n')
    const dotGit = Bun.spawnSync(['git', 'mktree'], {
      cwd: runner,
      stdin: Buffer.from(`100644 blob ${config}\tconfig\n`),
    })
      .stdout.toString()
      .trim()
    const root = Bun.spawnSync(['git', 'mktree'], {
      cwd: runner,
      stdin: Buffer.from(`040000 tree ${dotGit}\t.git\n`),
    })
      .stdout.toString()
      .trim()
    const commit = gitSync(runner, 'commit-tree', '-p', base, '-m', 'dot git', root).trim()
    const stderr = pushCommit(commit, 'dotgit')
    expect(stderr).toMatch(/hasDotgit|contains '\.git'/)
    expect(stateOf(repo).objects).toEqual(objectsBefore)
  })

  test('a commit with a broken author line', () => {
    const objectsBefore = stateOf(repo).objects
    const tree = gitSync(runner, 'rev-parse', `${base}^{tree}`).trim()
    const commit = hash(
      'commit',
      `tree ${tree}\nparent ${base}\nauthor nobody\ncommitter Runner <runner@localhost> 0 +0000\n\nbroken\n`,
    )
    const stderr = pushCommit(commit, 'broken')
    expect(stderr).toMatch(/missingEmail|bad(Date|Email)|fsck/i)
    expect(stateOf(repo).objects).toEqual(objectsBefore)
  })

  test(`a pack over the cap (receive.maxInputSize ${MAX_PUSH} bytes)`, () => {
    const objectsBefore = stateOf(repo).objects
    writeFileSync(join(runner, 'huge.bin'), randomBytes(MAX_PUSH + 512 * 1024))
    gitSync(runner, 'add', '-A')
    gitSync(runner, 'commit', '-q', '-m', 'huge')
    const stderr = pushCommit('HEAD', 'huge')
    expect(stderr).toContain('pack exceeds maximum allowed size')
    expect(stateOf(repo).objects).toEqual(objectsBefore)
  })
})

describe('who may reach which repository', () => {
  const status = async (name: string, headers: Record<string, string>) =>
    fetch(`${url(name)}/info/refs?service=git-upload-pack`, { headers })

  test('no token, an unknown token, the user token: 401 asking for Basic credentials', async () => {
    for (const headers of [
      {},
      { authorization: `Bearer ort_${'x'.repeat(43)}` },
      server.auth,
      { authorization: `Basic ${btoa(`runner:${server.token}`)}` },
    ]) {
      const answer = await status('ws1', headers)
      expect(answer.status).toBe(401)
      expect(answer.headers.get('www-authenticate')).toBe('Basic realm="openRuntime"')
      expect((await answer.json()).error.code).toBe('unauthorized')
    }
  })

  test('a revoked token: git is told authentication failed', () => {
    const runner = join(dir.path, 'runners', 'revoked')
    mkdirSync(runner, { recursive: true })
    gitSync(runner, 'init', '-q')
    expect(client(runner, ['ls-remote', url('ws1')], REVOKED).code).toBe(0)
    delete access.hosts[REVOKED]
    writeAccess()
    const fetched = client(runner, ['fetch', url('ws1'), base], REVOKED)
    expect(fetched.code).not.toBe(0)
    // git was answered 401 and had no other credential to try.
    expect(fetched.stderr).toMatch(/could not read Username|Authentication failed/)
  })

  test("another host's repository, and one that does not exist: the same 404", async () => {
    const theirs = await status('ws1', { authorization: `Bearer ${TOKEN_B}` })
    const none = await status('nope', { authorization: `Bearer ${TOKEN_B}` })
    expect(theirs.status).toBe(404)
    expect(none.status).toBe(404)
    expect(await theirs.json()).toEqual(await none.json())
    const runner = join(dir.path, 'runners', 'foreign')
    mkdirSync(runner, { recursive: true })
    gitSync(runner, 'init', '-q')
    const fetched = client(runner, ['fetch', url('ws1'), base], TOKEN_B)
    expect(fetched.code).not.toBe(0)
    expect(fetched.stderr).toContain('not found')
    // The host's own repository is served to it.
    expect(client(runner, ['ls-remote', url('ws2')], TOKEN_B).code).toBe(0)
  })

  test('only smart HTTP: info/refs without a service is refused', async () => {
    const answer = await fetch(`${url('ws1')}/info/refs`, { headers: { authorization: `Bearer ${TOKEN_A}` } })
    expect(answer.status).toBe(400)
    expect((await answer.json()).error.code).toBe('smart_http_only')
  })
})

describe('the server around the endpoint', () => {
  test('only the three smart HTTP paths skip the user token: anything else under /git/ still needs it', async () => {
    for (const path of ['/git/ws1.git/objects/info/packs', '/git/ws1.git/HEAD', '/git/ws1.git/info/refs/']) {
      const answer = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${TOKEN_A}` } })
      expect(answer.status).toBe(401)
      expect((await answer.json()).error.message).toContain('this server requires its token')
    }
  })

  test('a runner token is no user token: the API refuses it', async () => {
    const answer = await fetch(`${server.url}/tasks`, { headers: { authorization: `Bearer ${TOKEN_A}` } })
    expect(answer.status).toBe(401)
  })

  test('an API body without a declared length is refused (411); only a push may stream past the API limit', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"title":"x"}'))
        controller.close()
      },
    })
    const answer = await fetch(`${server.url}/tasks`, {
      method: 'POST',
      headers: { ...server.auth, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(answer.status).toBe(411)
    expect((await answer.json()).error.code).toBe('length_required')
  })

  test('with the registry deciding access, a token it does not know is refused, and no repository is known to a host holding no attempt (404)', async () => {
    const rt = await startTestRuntime()
    try {
      const unknown = await rt.app.handle(
        new Request('http://localhost/git/ws1.git/info/refs?service=git-upload-pack', {
          headers: { authorization: `Bearer ${TOKEN_A}` },
        }),
      )
      expect(unknown.status).toBe(401)
      const created = await rt.call('POST', '/runner-hosts', { name: 'idle-host' })
      const answer = await rt.app.handle(
        new Request('http://localhost/git/ws1.git/info/refs?service=git-upload-pack', {
          headers: { authorization: `Bearer ${created.body.token}` },
        }),
      )
      expect(answer.status).toBe(404)
      expect((await answer.json()).error.code).toBe('repository_not_found')
    } finally {
      await rt.close()
    }
  })
})

describe("the user's repository after everything", () => {
  test('working tree, HEAD, config and every ref but the pushed snapshots as before; fsck clean', () => {
    const after = stateOf(repo)
    expect(after.head).toBe(before.head)
    expect(after.config).toBe(before.config)
    expect(after.status).toBe(before.status)
    const pushed = ['refs/openruntime/attempts/att-1/large', 'refs/openruntime/attempts/att-1/snapshot']
    const lines = after.refs.split('\n')
    expect(lines.filter((line) => !pushed.some((ref) => line.startsWith(`${ref} `)))).toEqual(
      before.refs.split('\n'),
    )
    expect(refOf(repo, 'refs/heads/main')).toBe(tip)
    const fsck = Bun.spawnSync(['git', 'fsck', '--strict', '--no-dangling'], { cwd: repo })
    expect(fsck.stderr.toString()).toBe('')
    expect(fsck.exitCode).toBe(0)
  })
})
