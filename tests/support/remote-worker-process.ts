/**
 * A runner host's queue side in its own process, for the broker tests: takes remote runs with
 * RemoteRunWorker and "runs" each by holding its slot a moment and appending `<job id> <host>` to
 * a file (appendFileSync opens it O_APPEND, so lines from several processes never interleave).
 * The claim stands in for the control plane's grant of a run to one host: an exclusive create of
 * a file named after the job in CLAIMS_DIR (first host wins, as the unique claim row will).
 * Configured by environment: OPENRUNTIME_QUEUE_URL, HOST_NAME, SLOTS, RUNNERS, LABELS (comma
 * separated), RUNS_FILE, CLAIMS_DIR, HOLD_MS, CLAIM_LEASE_MS.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import type { RunnerKind } from '../../src/models/vocabulary'
import { jobIdOf } from '../../src/queue/jobs'
import { brokerConnection } from '../../src/queue/remote-connection'
import { RemoteRunWorker } from '../../src/queue/remote-queue'

const env = process.env
const connection = brokerConnection()
if (connection === null) throw new Error('OPENRUNTIME_QUEUE_URL is not set')
const list = (text: string | undefined) => (text ?? '').split(',').filter(Boolean)
const name = env.HOST_NAME ?? 'host'

const worker = new RemoteRunWorker({
  connection,
  host: { runners: list(env.RUNNERS) as RunnerKind[], labels: list(env.LABELS) },
  slots: Number(env.SLOTS ?? '1'),
  idleMs: 50,
  refreshMs: 250,
  ...(env.CLAIM_LEASE_MS ? { claimLeaseMs: Number(env.CLAIM_LEASE_MS) } : {}),
  async claim(job) {
    try {
      closeSync(openSync(join(env.CLAIMS_DIR as string, jobIdOf(job)), 'wx'))
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      console.error(`${name}: ${jobIdOf(job)} was granted already, dropped`)
      return false
    }
  },
  async run(job) {
    await Bun.sleep(Number(env.HOLD_MS ?? '0'))
    appendFileSync(env.RUNS_FILE as string, `${jobIdOf(job)} ${name}\n`)
  },
  onError: (error) => console.error(`${name}: ${error.message}`),
})
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)))
console.log('worker ready')
