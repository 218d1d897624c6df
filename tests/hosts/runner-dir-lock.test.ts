import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { processStartTime } from '../../src/process/process-group'
import { collectOutput } from '../support/processes'
import { RunnerCluster } from '../support/runner-cluster'
import { tempDir, waitFor } from '../support/temp'

let cluster: RunnerCluster

beforeAll(async () => {
  cluster = await RunnerCluster.start({ leaseMs: 5000 })
  await cluster.addHost('solo', ['linux', 'solo'])
})

afterAll(async () => {
  await cluster?.close()
})

const lockOf = () => join(cluster.host('solo').dir, 'runner.lock')
const holder = () => Number(readFileSync(lockOf(), 'utf8').split(' ')[0])

async function runsATask() {
  const id = await cluster.startTask('echo fine > out.txt', ['linux', 'solo'])
  expect((await cluster.untilStatus(id, ['ready-for-review', 'failed'])).status).toBe('ready-for-review')
}

describe('one runner host process per runner directory', () => {
  test('a second process on the same directory is refused, naming the pid that has it; the first goes on', async () => {
    const first = cluster.host('solo')
    expect(holder()).toBe(first.proc.pid)
    const second = cluster.spawnHostProcess(cluster.spec('solo'))
    expect(await second.proc.exited).toBe(2)
    expect(second.output()).toContain(
      `openRuntime runner host: another runner host (pid ${first.proc.pid}) is using ${first.dir}`,
    )
    expect(holder()).toBe(first.proc.pid)
    expect(first.proc.exitCode).toBeNull()
    await runsATask()
  }, 60_000)

  test('the lock of a process that is gone (kill -9) is taken over, and so is one whose pid now belongs to another process', async () => {
    const dead = cluster.host('solo')
    await dead.kill('SIGKILL')
    expect(holder()).toBe(dead.proc.pid)
    const next = await cluster.restartHost('solo')
    expect(holder()).toBe(next.proc.pid)
    await runsATask()

    await next.kill('SIGKILL')
    // This test's own pid (alive) with a start time that is not its own: a reused pid.
    const started = Number(processStartTime(process.pid))
    writeFileSync(lockOf(), `${process.pid} ${started + 1}\n`)
    const third = await cluster.restartHost('solo')
    expect(holder()).toBe(third.proc.pid)
    await runsATask()

    // A lock file that holds nothing it could be (cut short, overwritten) is stale too.
    await third.kill('SIGKILL')
    writeFileSync(lockOf(), 'not a lock')
    const fourth = await cluster.restartHost('solo')
    expect(holder()).toBe(fourth.proc.pid)
  }, 60_000)

  test('processes that find the same stale lock at once: exactly one takes it over', async () => {
    const dir = tempDir()
    try {
      const gone = Bun.spawn(['true'])
      await gone.exited
      writeFileSync(join(dir.path, 'runner.lock'), `${gone.pid} 1\n`)
      const holders = Array.from({ length: 4 }, () => {
        const proc = Bun.spawn(
          [process.execPath, join(import.meta.dir, '..', 'support', 'dir-lock-holder.ts'), dir.path],
          {
            stdin: 'pipe',
            stdout: 'pipe',
            stderr: 'pipe',
          },
        )
        return { proc, output: collectOutput(proc) }
      })
      await waitFor('every process to decide', () =>
        holders.every((holder) => /held|refused/.test(holder.output())),
      )
      const [winner, ...others] = holders.filter((holder) => holder.output().includes('held'))
      expect(others).toHaveLength(0)
      if (!winner) throw new Error('no process took the lock')
      for (const holder of holders)
        if (holder !== winner) {
          expect(await holder.proc.exited).toBe(2)
          expect(holder.output()).toContain(
            `another runner host (pid ${winner.proc.pid}) is using ${dir.path}`,
          )
        }
      expect(Number(readFileSync(join(dir.path, 'runner.lock'), 'utf8').split(' ')[0])).toBe(winner.proc.pid)
      winner.proc.stdin.end()
      expect(await winner.proc.exited).toBe(0)
      expect(existsSync(join(dir.path, 'runner.lock'))).toBe(false)
    } finally {
      dir.cleanup()
    }
  }, 60_000)
})
