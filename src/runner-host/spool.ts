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
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { OutcomeBody, RunnerItem } from '../domain'

interface Line {
  seq: number
  event: RunnerItem
}

/** The run's process group as started: its leader's pid and start time (against a reused pid). */
export interface SpooledProcess {
  pgid: number
  started: string | null
}

/** A line not acknowledged yet, with the UTF-8 length of its event's JSON (what it adds to a batch's body). */
interface Pending extends Line {
  bytes: number
}

interface State {
  /** The last seq the control plane acknowledged. */
  acked: number
  /** The last seq given out. */
  last: number
}

const ATTEMPT_ID = /^[A-Za-z0-9-]{1,100}$/
const FILES = ['events', 'state', 'outcome', 'process'] as const
type SpoolFile = (typeof FILES)[number]

/** Writes a small file whole: a temporary one (fsync'd when `durable`), renamed over the old. */
function replaceFile(path: string, text: string, durable = true): void {
  const temporary = `${path}.tmp`
  const fd = openSync(temporary, 'w')
  try {
    writeSync(fd, text)
    if (durable) fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temporary, path)
}

const lineText = (line: Line) => `${JSON.stringify(line)}\n`

/**
 * Acknowledged lines leave memory in chunks of this many, and the events file once everything in
 * it is acknowledged and it holds at least this many: acknowledging costs only the small state
 * file, and the events file is never rewritten while lines wait in it (it holds at most the run's
 * output, which its policy caps). Acknowledged lines still in the file are skipped when it is read.
 */
const COMPACT_AFTER = 10_000

/**
 * One attempt's events and outcome on the host's disk until the control plane acknowledges them:
 * `<attempt>.events` is append-only (one JSON line per event, with its runner seq, fsync'd before it
 * is sent), `<attempt>.state` the seqs given out and acknowledged, `<attempt>.outcome` the report,
 * `<attempt>.process` the run's process group (what a restarted host must end, see leftovers.ts).
 * What is acknowledged is cut off the events file in bulk (see COMPACT_AFTER); once the outcome is
 * acknowledged, all goes.
 */
export class AttemptSpool {
  private fd: number
  private state: State
  /** Oldest first; those before `head` are acknowledged. */
  private pending: Pending[]
  private head = 0
  /** Lines in the events file, acknowledged or not. */
  private inFile = 0
  /** Appended lines not written yet: written in one go (and fsync'd) before anything is sent. */
  private unwritten: string[] = []
  private synced = true
  /** Called after each append (the sender sends soon). */
  onAppend: (() => void) | null = null
  /** A write of what was appended is due on the next turn of the event loop. */
  private writeDue = false
  private removed = false

  constructor(
    private readonly dir: string,
    readonly attemptId: string,
  ) {
    if (!ATTEMPT_ID.test(attemptId)) throw new Error(`not an attempt id: ${attemptId.slice(0, 100)}`)
    mkdirSync(dir, { recursive: true })
    this.state = existsSync(this.path('state'))
      ? (JSON.parse(readFileSync(this.path('state'), 'utf8')) as State)
      : { acked: 0, last: 0 }
    const lines = existsSync(this.path('events'))
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
    const last = lines.at(-1)?.seq ?? this.state.acked
    this.state = { ...this.state, last: Math.max(this.state.last, last) }
    this.pending = lines
      .filter((line) => line.seq > this.state.acked)
      .map((line) => ({ ...line, bytes: Buffer.byteLength(JSON.stringify(line.event)) }))
    // A torn line is dropped from the file too, so what is appended after it stays readable.
    this.fd = this.rewriteEvents()
  }

  private path(kind: SpoolFile): string {
    return join(this.dir, `${this.attemptId}.${kind}`)
  }

  /** The events file with the unacknowledged lines only; answers it opened for appending. */
  private rewriteEvents(): number {
    this.pending = this.pending.slice(this.head)
    this.head = 0
    // The rewrite holds every pending line, those not written yet too.
    this.unwritten = []
    this.synced = true
    this.inFile = this.pending.length
    replaceFile(this.path('events'), this.pending.map(({ seq, event }) => lineText({ seq, event })).join(''))
    return openSync(this.path('events'), 'a')
  }

  /**
   * Appends an event and gives it the next seq. It is written and fsync'd before it is sent (or
   * the outcome is written); a crash before that loses it with the run, which was never reported.
   */
  append(event: RunnerItem): number {
    const line = { seq: this.state.last + 1, event }
    const text = lineText(line)
    this.unwritten.push(text)
    this.state.last = line.seq
    // The line's text less its seq wrapper and newline is the event's JSON.
    this.pending.push({ ...line, bytes: Buffer.byteLength(text) - `{"seq":${line.seq},"event":}\n`.length })
    this.synced = false
    // On disk within the turn, whether or not a send is under way: one that hangs on a broken
    // network must not keep the spooled events in memory only.
    if (!this.writeDue) {
      this.writeDue = true
      setImmediate(() => {
        this.writeDue = false
        if (!this.removed) this.persist()
      })
    }
    this.onAppend?.()
    return line.seq
  }

  /**
   * The events not acknowledged yet, on disk for good, from the oldest: at most `max` of them,
   * and no more than `maxBytes` of JSON unless the first alone is longer.
   */
  unacknowledged(
    max: number,
    maxBytes = Number.POSITIVE_INFINITY,
  ): { from: number; events: RunnerItem[] } | null {
    this.persist()
    const first = this.pending[this.head]
    if (first === undefined) return null
    const events: RunnerItem[] = []
    let bytes = 0
    for (let at = this.head; at < this.pending.length && events.length < max; at++) {
      const line = this.pending[at] as Pending
      if (events.length > 0 && bytes + line.bytes > maxBytes) break
      bytes += line.bytes + 1
      events.push(line.event)
    }
    return { from: first.seq, events }
  }

  /**
   * Sends `event` in place of the oldest unacknowledged one, which the control plane refused for
   * good. In memory only: a restarted host reads the refused one again, is refused again, and
   * sends the same stand-in, so the file need not be rewritten.
   */
  replaceOldest(event: RunnerItem): void {
    const oldest = this.pending[this.head]
    if (oldest === undefined) return
    this.pending[this.head] = { seq: oldest.seq, event, bytes: Buffer.byteLength(JSON.stringify(event)) }
  }

  /** The control plane has every event up to `seq`: they are cut off the file. */
  acknowledge(seq: number): void {
    if (seq <= this.state.acked) return
    this.state.acked = Math.min(seq, this.state.last)
    while (this.head < this.pending.length && (this.pending[this.head] as Pending).seq <= this.state.acked)
      this.head++
    const caughtUp = this.head === this.pending.length && this.inFile + this.unwritten.length >= COMPACT_AFTER
    // An acknowledgement lost to a power cut only sends events again, which the control plane
    // skips by seq; but the events file may drop lines only once the state saying so is durable
    // (its `last` is where seqs go on after a restart).
    replaceFile(this.path('state'), JSON.stringify(this.state), caughtUp)
    if (caughtUp) {
      closeSync(this.fd)
      this.fd = this.rewriteEvents()
    } else if (this.head >= COMPACT_AFTER) {
      this.pending = this.pending.slice(this.head)
      this.head = 0
    }
  }

  /** What was appended is on disk for good. */
  private persist(): void {
    if (this.unwritten.length > 0) {
      writeSync(this.fd, this.unwritten.join(''))
      this.inFile += this.unwritten.length
      this.unwritten = []
    }
    if (!this.synced) {
      fsyncSync(this.fd)
      this.synced = true
    }
  }

  /** The outcome comes after every event: those are written first, so a replay never has one without them. */
  setOutcome(outcome: OutcomeBody): void {
    this.persist()
    replaceFile(this.path('outcome'), JSON.stringify(outcome))
  }

  /** Written before the run's process can do anything worth ending (it is spawned just before). */
  recordProcess(process: SpooledProcess): void {
    replaceFile(this.path('process'), JSON.stringify(process))
  }

  process(): SpooledProcess | null {
    return existsSync(this.path('process'))
      ? (JSON.parse(readFileSync(this.path('process'), 'utf8')) as SpooledProcess)
      : null
  }

  outcome(): OutcomeBody | null {
    return existsSync(this.path('outcome'))
      ? (JSON.parse(readFileSync(this.path('outcome'), 'utf8')) as OutcomeBody)
      : null
  }

  /** The outcome is acknowledged: nothing of the attempt is left to send. */
  remove(): void {
    this.removed = true
    closeSync(this.fd)
    for (const kind of FILES) rmSync(this.path(kind), { force: true })
  }

  /** The attempts a previous process of this host left spooled. */
  static leftIn(dir: string): string[] {
    if (!existsSync(dir)) return []
    return [
      ...new Set(
        readdirSync(dir)
          .map((name) => /^(.+)\.(events|state|outcome|process)$/.exec(name)?.[1])
          .filter((id): id is string => id !== undefined && ATTEMPT_ID.test(id)),
      ),
    ]
  }
}
