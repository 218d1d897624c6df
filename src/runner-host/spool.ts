import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { OutcomeBody, RunnerItem } from '../domain'

interface Line {
  seq: number
  event: RunnerItem
}

interface State {
  /** The last seq the control plane acknowledged. */
  acked: number
  /** The last seq given out. */
  last: number
}

const ATTEMPT_ID = /^[A-Za-z0-9-]{1,100}$/

/** Writes a small file whole: a temporary one, fsync'd, renamed over the old. */
function replaceFile(path: string, text: string): void {
  const temporary = `${path}.tmp`
  const fd = openSync(temporary, 'w')
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temporary, path)
}

/**
 * One attempt's events and outcome on the host's disk until the control plane acknowledges them:
 * `<attempt>.events` is append-only (one JSON line per event, with its runner seq, fsync'd before it
 * is sent), `<attempt>.state` the seqs given out and acknowledged, `<attempt>.outcome` the report.
 * What is acknowledged is cut off the events file; once the outcome is acknowledged, all goes.
 */
export class AttemptSpool {
  private fd: number
  private state: State
  private lines: Line[]
  private synced = true

  constructor(
    private readonly dir: string,
    readonly attemptId: string,
  ) {
    if (!ATTEMPT_ID.test(attemptId)) throw new Error(`not an attempt id: ${attemptId.slice(0, 100)}`)
    mkdirSync(dir, { recursive: true })
    this.state = existsSync(this.path('state'))
      ? (JSON.parse(readFileSync(this.path('state'), 'utf8')) as State)
      : { acked: 0, last: 0 }
    this.lines = existsSync(this.path('events'))
      ? readFileSync(this.path('events'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .flatMap((text) => {
            try {
              return [JSON.parse(text) as Line]
            } catch {
              // A line cut short by a crash mid-write was never sent: it is dropped with the crash.
              return []
            }
          })
      : []
    const last = this.lines.at(-1)?.seq ?? this.state.acked
    this.state = { ...this.state, last: Math.max(this.state.last, last) }
    // A torn line is dropped from the file too, so what is appended after it stays readable.
    replaceFile(this.path('events'), this.lines.map((line) => `${JSON.stringify(line)}\n`).join(''))
    this.fd = openSync(this.path('events'), 'a')
  }

  private path(kind: 'events' | 'state' | 'outcome'): string {
    return join(this.dir, `${this.attemptId}.${kind}`)
  }

  /** Appends an event and gives it the next seq (written now, fsync'd before it is sent). */
  append(event: RunnerItem): number {
    const line = { seq: this.state.last + 1, event }
    writeSync(this.fd, `${JSON.stringify(line)}\n`)
    this.state.last = line.seq
    this.lines.push(line)
    this.synced = false
    return line.seq
  }

  /** The events not acknowledged yet, on disk for good, from the oldest. */
  unacknowledged(max: number): { from: number; events: RunnerItem[] } | null {
    if (!this.synced) {
      fsyncSync(this.fd)
      this.synced = true
    }
    const pending = this.lines.filter((line) => line.seq > this.state.acked).slice(0, max)
    const first = pending[0]
    return first ? { from: first.seq, events: pending.map((line) => line.event) } : null
  }

  /** The control plane has every event up to `seq`: they are cut off the file. */
  acknowledge(seq: number): void {
    if (seq <= this.state.acked) return
    this.state.acked = Math.min(seq, this.state.last)
    replaceFile(this.path('state'), JSON.stringify(this.state))
    this.lines = this.lines.filter((line) => line.seq > this.state.acked)
    closeSync(this.fd)
    replaceFile(this.path('events'), this.lines.map((line) => `${JSON.stringify(line)}\n`).join(''))
    this.fd = openSync(this.path('events'), 'a')
  }

  setOutcome(outcome: OutcomeBody): void {
    replaceFile(this.path('outcome'), JSON.stringify(outcome))
  }

  outcome(): OutcomeBody | null {
    return existsSync(this.path('outcome'))
      ? (JSON.parse(readFileSync(this.path('outcome'), 'utf8')) as OutcomeBody)
      : null
  }

  /** The outcome is acknowledged: nothing of the attempt is left to send. */
  remove(): void {
    closeSync(this.fd)
    for (const kind of ['events', 'state', 'outcome'] as const) rmSync(this.path(kind), { force: true })
  }

  /** The attempts a previous process of this host left spooled. */
  static leftIn(dir: string): string[] {
    if (!existsSync(dir)) return []
    return [
      ...new Set(
        readdirSync(dir)
          .map((name) => /^(.+)\.(events|state|outcome)$/.exec(name)?.[1])
          .filter((id): id is string => id !== undefined && ATTEMPT_ID.test(id)),
      ),
    ]
  }
}
