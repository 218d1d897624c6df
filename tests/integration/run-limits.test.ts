import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { chownSync, existsSync, lchownSync, mkdirSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { RunLimitsRecord, TaskEvent } from '../../src/domain'
import { discoverCgroups, removeParents } from '../../src/process/limits/cgroup-host'
import { cgroupTag } from '../../src/process/limits/run-limits'
import { makeRepo } from '../support/git-repo'
import { processesMentioning } from '../support/processes'
import { startTestRuntime, type TestRuntime } from '../support/runtime'
import { api, spawnServer } from '../support/server-process'
import { tempDir, waitFor } from '../support/temp'

// What this host offers, found the way the server finds it (its directories removed at once).
const probe = discoverCgroups(cgroupTag(`probe-${randomUUID()}`))
removeParents(probe)
const pidsCgroup = probe.pids ? (`cgroup-${probe.pids.version}` as const) : null
const memoryCgroup = probe.memory ? (`cgroup-${probe.memory.version}` as const) : null
const anyCgroup = probe.pids ?? probe.memory
const isRoot = process.getuid?.() === 0
const hasPrlimit = Bun.which('prlimit') !== null
console.log(
  `cgroups on this host: pids ${pidsCgroup ?? `none (${probe.reasons.pids})`}, memory ${memoryCgroup ?? `none (${probe.reasons.memory})`}${pidsCgroup && memoryCgroup ? '' : '; the rlimit path is checked instead'}`,
)

/** A test's name, or where the host lacks what it needs, a name saying so plainly (it is skipped). */
const needs = (available: unknown, name: string, missing: string) =>
  available ? name : `SKIPPED, ${missing}: ${name}`

const FULL_ACCESS = {
  network_mode: 'enabled',
  allow_git_write: true,
  allow_secrets: true,
  blocked_commands: [],
}

interface Finished {
  id: string
  status: string
  limits: RunLimitsRecord
  events: TaskEvent[]
}

async function runTask(
  rt: TestRuntime,
  command: string,
  policy: Record<string, unknown>,
  finished = (status: string) => !['queued', 'running'].includes(status),
): Promise<Finished> {
  const repo = makeRepo(join(rt.dir, `repo-${randomUUID()}`))
  const created = await rt.call('POST', '/tasks', {
    title: 'limits',
    prompt: '',
    runner: 'shell',
    command,
    workspace: repo,
    policy,
  })
  expect(created.status).toBe(200)
  const id = created.body.id as string
  expect((await rt.call('POST', `/tasks/${id}/start`)).status).toBe(200)
  const task = await waitFor(
    'the run to end',
    async () => {
      const view = (await rt.call('GET', `/tasks/${id}?events=all`)).body
      return finished(view.status) ? view : null
    },
    60_000,
  )
  return { id, status: task.status, limits: task.current_attempt.limits, events: task.events }
}

const byCategory = (events: TaskEvent[], category: string) =>
  events.filter((event) => event.metadata?.category === category)

/** A command starting `count` sleepers of the given duration, then saying how many it started. */
const forkStorm = (count: number, sleep: { shell: string }) =>
  `i=0; while [ $i -lt ${count} ]; do sleep ${sleep.shell} & i=$((i+1)); done; echo "started $i"`

/** awk doubling a string towards 2 GB: it prints only if it got the memory. */
const MEMORY_HOG = `awk 'BEGIN { s = "x"; while (length(s) < 2000000000) s = s s; print "allocated", length(s) }'`

/**
 * A sleep duration no other process on the machine uses, so its processes can be found: `token`
 * is in the sleepers' command lines, `shell` (which computes it) is not, nor in the shell's.
 */
function uniqueSleep(): { shell: string; token: string } {
  const n = Math.floor(Math.random() * 1e9)
  return { shell: `1000.$((${n} + 1))`, token: `1000.${n + 1}` }
}

describe('cgroups where the host offers them (OPENRUNTIME_LIMITS=auto)', () => {
  let rt: TestRuntime
  beforeAll(async () => {
    rt = await startTestRuntime()
  })
  afterAll(() => rt?.close())

  test(pidsCgroup
    ? `a fork storm is bounded by the ${pidsCgroup} pids limit: the task ends and every process is gone`
    : `no cgroup for pids on this host (${probe.reasons.pids}): a fork storm meets the rlimit path, as recorded`, async () => {
    const marker = uniqueSleep()
    const run = await runTask(rt, forkStorm(500, marker), { max_processes: 64 })
    expect(processesMentioning(marker.token)).toEqual([])
    const { processes } = run.limits
    expect(processes.max).toBe(64)
    if (pidsCgroup) {
      expect(processes.enforced_by).toBe(pidsCgroup)
      expect(run.status).toBe('failed')
      expect(run.events.some((e) => e.kind === 'stderr' && /fork/i.test(e.message))).toBe(true)
      expect(run.events.some((e) => e.message.startsWith('started'))).toBe(false)
      expect(processes.refused).toBeGreaterThan(0)
      if (processes.peak !== null) expect(processes.peak).toBeLessThanOrEqual(64)
      expect(byCategory(run.events, 'limit-reached').map((e) => e.message)).toEqual([
        `Process limit reached: ${processes.refused} process or thread creation(s) refused at 64`,
      ])
    } else {
      // The rlimit path, as the record says it went (see the rlimit tests below).
      expect(processes.enforced_by).toBe(isRoot || !hasPrlimit ? 'none' : 'rlimit')
    }
  }, 90_000)

  test.skipIf(!memoryCgroup)(
    needs(
      memoryCgroup,
      `a memory hog is killed by the ${memoryCgroup} memory limit`,
      `this host offers no memory cgroup (${probe.reasons.memory}); the rlimit tests below cover it`,
    ),
    async () => {
      const run = await runTask(rt, MEMORY_HOG, { max_memory_mb: 100 })
      expect(run.status).toBe('failed')
      expect(run.events.some((e) => e.message.startsWith('allocated'))).toBe(false)
      const { memory } = run.limits
      expect(memory).toMatchObject({ max_mb: 100, enforced_by: memoryCgroup, note: null })
      expect(memory.oom_kills).toBeGreaterThanOrEqual(1)
      expect(memory.peak_mb).toBeLessThanOrEqual(100)
      expect(byCategory(run.events, 'limit-reached').map((e) => e.message)).toContain(
        `Memory limit reached: ${memory.oom_kills} process(es) killed for using more than 100 MB`,
      )
    },
    90_000,
  )

  test('the attempt, the API, the timeline and the task page say which limits were enforced and how', async () => {
    const run = await runTask(rt, 'echo hi', { max_processes: 200, max_memory_mb: 300, max_output_mb: 5 })
    expect(run.status).toBe('completed')
    const stored = rt.runtime.store.attempts.latest(run.id)?.limits
    expect(stored).toEqual(run.limits)
    expect(run.limits.processes).toMatchObject({ max: 200, enforced_by: pidsCgroup ?? expect.any(String) })
    expect(run.limits.memory).toMatchObject({ max_mb: 300, enforced_by: memoryCgroup ?? expect.any(String) })
    expect(run.limits.output).toEqual({
      max_mb: 5,
      enforced_by: 'openruntime',
      stored_bytes: 2,
      dropped_bytes: 0,
    })
    const [announced] = byCategory(run.events, 'limits')
    expect(announced?.message).toStartWith('Limits: 200 processes (')
    expect(announced?.message).toContain('300 MB memory')
    expect(announced?.metadata?.limits).toMatchObject({ processes: { max: 200 }, memory: { max_mb: 300 } })
    const task = (await rt.call('GET', `/tasks/${run.id}`)).body
    expect(task.attempts[0].limits).toEqual(run.limits)
    const page = await (await rt.handle(`/tasks/${run.id}/view`)).text()
    expect(page).toContain('Processes')
    expect(page).toContain(`at most 200 (${(pidsCgroup ?? 'not enforced').replace('-', ' ')})`)
    expect(page).toContain('at most 300 MB')
    expect(page).toContain('Stored output')
  })

  test.skipIf(!anyCgroup)(
    needs(
      anyCgroup,
      "a process that left the run's process group (setsid) dies with its cgroup when the run ends",
      `this host offers no cgroup (${probe.reasons.pids})`,
    ),
    async () => {
      const marker = uniqueSleep()
      // Unsandboxed, nothing but the cgroup can still find it once it left the group.
      const run = await runTask(
        rt,
        `setsid sleep ${marker.shell} > /dev/null 2>&1 < /dev/null & echo left`,
        FULL_ACCESS,
      )
      expect(run.events.some((e) => e.message.startsWith('Not sandboxed'))).toBe(true)
      expect(run.status).toBe('completed')
      expect(processesMentioning(marker.token)).toEqual([])
    },
    60_000,
  )

  test('a run printing past max_output_mb is stopped with output-limit; a marker says what was kept; nothing past the cap is stored', async () => {
    const line = 'a line of output that goes on and on'
    const run = await runTask(rt, `yes '${line}'`, { max_output_mb: 1 })
    expect(run.status).toBe('stopped')
    const [marker] = byCategory(run.events, 'output-limit')
    expect(marker?.message).toStartWith(
      `Output limit reached: ${run.limits.output.stored_bytes} bytes of output kept (the limit is 1 MB)`,
    )
    const output = run.events.filter((e) => e.kind === 'stdout' || e.kind === 'stderr')
    const storedBytes = output.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0)
    expect(storedBytes).toBeLessThanOrEqual(1024 * 1024)
    expect(storedBytes).toBeGreaterThan(1024 * 1024 - 2 * (line.length + 16))
    expect(Math.max(...output.map((e) => e.seq))).toBeLessThan(marker?.seq ?? 0)
    expect(output.every((e) => line.startsWith(e.message))).toBe(true)
    const stop = run.events.at(-2)
    expect(stop?.metadata).toMatchObject({
      category: 'attempt-stopped',
      reason: 'output-limit',
      max_output_mb: 1,
    })
    expect(stop?.message).toBe('Stopped: its output passed the limit of 1 MB')
    expect(run.limits.output.stored_bytes).toBeLessThanOrEqual(1024 * 1024)
    expect(run.limits.output.dropped_bytes).toBeGreaterThan(0)
  })
})

describe('rlimits, forced with OPENRUNTIME_LIMITS=rlimit (the path hosts without cgroups take)', () => {
  let rt: TestRuntime
  beforeAll(async () => {
    rt = await startTestRuntime({ OPENRUNTIME_LIMITS: 'rlimit' })
  })
  afterAll(() => rt?.close())

  test.skipIf(!hasPrlimit)(
    needs(
      hasPrlimit,
      'a memory hog gets ENOMEM from RLIMIT_DATA, and the record says it holds per process',
      'prlimit (util-linux) is not installed',
    ),
    async () => {
      const run = await runTask(rt, MEMORY_HOG, { max_memory_mb: 100 })
      expect(run.status).toBe('failed')
      expect(run.events.some((e) => e.message.startsWith('allocated'))).toBe(false)
      expect(run.events.some((e) => e.kind === 'stderr' && /out of memory/i.test(e.message))).toBe(true)
      expect(run.limits.memory).toMatchObject({
        max_mb: 100,
        enforced_by: 'rlimit',
        note: 'no cgroup (OPENRUNTIME_LIMITS=rlimit); RLIMIT_DATA, per process: the run as a whole may use more',
        peak_mb: null,
        oom_kills: null,
      })
    },
    60_000,
  )

  test.skipIf(!hasPrlimit)(
    needs(
      hasPrlimit,
      isRoot
        ? 'as root RLIMIT_NPROC holds in no user namespace: the record says so, a storm past the limit runs, and ending the run still ends it all'
        : 'a fork storm is bounded by RLIMIT_NPROC inside the sandbox user namespace',
      'prlimit (util-linux) is not installed',
    ),
    async () => {
      const marker = uniqueSleep()
      const run = await runTask(rt, forkStorm(200, marker), { max_processes: 64 })
      const { processes } = run.limits
      if (isRoot) {
        expect(processes).toMatchObject({ max: 64, enforced_by: 'none' })
        expect(processes.note).toBe(
          'no cgroup (OPENRUNTIME_LIMITS=rlimit); RLIMIT_NPROC does not apply to root (uid 0), in any user namespace',
        )
        expect(run.events.some((e) => e.message === 'started 200')).toBe(true)
      } else {
        expect(processes).toMatchObject({ max: 64, enforced_by: 'rlimit' })
        expect(run.events.some((e) => e.message.startsWith('started'))).toBe(false)
      }
      expect(processesMentioning(marker.token)).toEqual([])
    },
    60_000,
  )
})

const NOBODY = 65534
const canRunAsNobody = isRoot && hasPrlimit && Bun.which('setpriv') !== null && Bun.which('bwrap') !== null

describe('an unprivileged server, which cannot make cgroups (the rlimit path as most hosts take it)', () => {
  test.skipIf(!canRunAsNobody)(
    needs(
      canRunAsNobody,
      'run as nobody: the record says no cgroup and why, and RLIMIT_NPROC bounds a fork storm inside the sandbox user namespace',
      'the test needs root (to start the server as nobody), setpriv, prlimit and bwrap',
    ),
    async () => {
      const dir = tempDir()
      const repo = makeRepo(join(dir.path, 'repo'))
      mkdirSync(join(dir.path, 'home'))
      mkdirSync(join(dir.path, 'data'))
      chownTree(dir.path, NOBODY)
      const server = await spawnServer(
        { OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3'), HOME: join(dir.path, 'home') },
        { runAs: NOBODY },
      )
      const marker = uniqueSleep()
      try {
        const created = await api(server, 'POST', '/tasks', {
          title: 'storm',
          prompt: '',
          runner: 'shell',
          command: forkStorm(200, marker),
          workspace: repo,
          policy: { max_processes: 64 },
        })
        const id = created.body.id
        await api(server, 'POST', `/tasks/${id}/start`)
        const task = await waitFor(
          'the run to end',
          async () => {
            const view = (await api(server, 'GET', `/tasks/${id}?events=all`)).body
            return ['queued', 'running'].includes(view.status) ? null : view
          },
          60_000,
        )
        const events = task.events as TaskEvent[]
        expect(events.some((e) => e.message.startsWith('Sandboxed with bubblewrap'))).toBe(true)
        const { processes, memory } = task.current_attempt.limits as RunLimitsRecord
        expect(processes).toMatchObject({ max: 64, enforced_by: 'rlimit' })
        expect(processes.note).toMatch(
          /^no cgroup \(.+\); RLIMIT_NPROC, counted in the sandbox's own user namespace$/,
        )
        expect(memory.enforced_by).toBe('rlimit')
        expect(task.status).toBe('failed')
        expect(events.some((e) => e.kind === 'stderr' && /fork/i.test(e.message))).toBe(true)
        expect(events.some((e) => e.message.startsWith('started'))).toBe(false)
        expect(processesMentioning(marker.token)).toEqual([])
      } finally {
        await server.kill('SIGTERM')
        dir.cleanup()
      }
    },
    60_000,
  )
})

/** chown -R, for handing a test's directories to the unprivileged server. */
function chownTree(path: string, uid: number): void {
  chownSync(path, uid, uid)
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name)
    if (entry.isDirectory()) chownTree(child, uid)
    else lchownSync(child, uid, uid)
  }
}

describe('start-up after a crash', () => {
  test.skipIf(!probe.pids)(
    needs(
      probe.pids,
      "a crashed server's run cgroup is emptied and removed by the next start",
      `this host offers no pids cgroup (${probe.reasons.pids})`,
    ),
    async () => {
      const dir = tempDir()
      const env = { OPENRUNTIME_DB: join(dir.path, 'data', 'db.sqlite3'), OPENRUNTIME_STOP_GRACE_MS: '500' }
      const marker = uniqueSleep()
      let server = await spawnServer(env)
      try {
        const repo = makeRepo(join(dir.path, 'repo'))
        const created = await api(server, 'POST', '/tasks', {
          title: 'escapes its group',
          prompt: '',
          runner: 'shell',
          command: `setsid sleep ${marker.shell} > /dev/null 2>&1 < /dev/null & echo started; sleep 1000`,
          workspace: repo,
          policy: FULL_ACCESS,
        })
        const id = created.body.id
        await api(server, 'POST', `/tasks/${id}/start`)
        await waitFor('the escaped sleeper', () => processesMentioning(marker.token).length === 1)
        const attempt = (await api(server, 'GET', `/tasks/${id}`)).body.current_attempt.id
        const group = join(
          dirname(probe.pids?.dir ?? ''),
          `openruntime-${cgroupTag(join(dir.path, 'data'))}`,
          `run-${attempt}`,
        )
        expect(existsSync(group)).toBe(true)
        await server.kill('SIGKILL')
        expect(processesMentioning(marker.token).length).toBe(1)
        server = await spawnServer(env)
        expect(processesMentioning(marker.token)).toEqual([])
        expect(existsSync(group)).toBe(false)
        expect(server.output()).toContain('removed 1 run cgroup(s) a previous server left behind')
      } finally {
        await server.kill('SIGTERM')
        dir.cleanup()
      }
    },
    60_000,
  )
})
