import type { Subprocess } from 'bun'
import type { StreamRedactor } from '../policy'
import { LineSplitter } from './line-splitter'
import { outputTurns } from './output-turns'
import { processStartTime, terminateGroup } from './process-group'
import { stdinIdentity, waitingOnStdin } from './stdin-wait'

export type OutputStream = 'stdout' | 'stderr'

export interface ProcessSpec {
  argv: string[]
  cwd: string
  env: Record<string, string>
  /** Keep stdin open so replies (shell) or protocol messages (agents) can be written to it. */
  keepStdin: boolean
}

export interface SupervisorHooks {
  /** One line of output (partial: flushed without a newline after an idle period). May return a promise to apply backpressure. */
  onLine(stream: OutputStream, line: string, partial: boolean): undefined | Promise<void>
  /**
   * The run went quiet and appears to wait for input (`evidence` says how we know). Without this
   * hook quiet periods are not looked at, and unfinished lines wait for their newline (agents speak
   * one JSON message per line; half a message is nothing to show).
   */
  onWaitingForInput?(evidence: 'stdin-read' | 'prompt-text', prompt: string): void
}

export interface ProcessExit {
  /** Exit code of the group leader, null when it ended by a signal. */
  code: number | null
  signal: string | null
  /** Human text like the original's: "exit status: 0" or "signal: SIGTERM". */
  text: string
}

export interface SupervisorOptions {
  stopGraceMs: number
  idleMs: number
  /** Longer lines are cut into several (default: the splitter's 16 KiB). */
  maxLineChars?: number
  /** One per stream: output passes through it before it is split into lines. */
  redactor?: () => StreamRedactor
  /**
   * Ends whatever of the run outlives its process group (members of its cgroup that left the group
   * with setsid), so nothing keeps the output pipes open once the leader is gone.
   */
  reap?: () => Promise<void>
}

const PROMPT_ENDING = /[?:>$#\]]\s*$/

/**
 * Output is redacted this much at a time, and split into lines a piece at a time: before each
 * piece the reader waits for the event log's backpressure and for its share of the event loop
 * (see output-turns), so neither a fast writer nor many of them starve requests and timers.
 */
const SLICE_CHARS = 64 * 1024
const PIECE_CHARS = 4 * 1024

/**
 * One runner process: spawned as the leader of its own process group, its output decoded (invalid
 * UTF-8 becomes U+FFFD, never an error) and split into lines, its quiet periods checked for
 * "waiting for input", and its end always ending the whole group so no grandchild survives.
 */
export class SupervisedProcess {
  readonly pid: number
  readonly startedTicks: string | null
  readonly exited: Promise<ProcessExit>
  private readonly child: Subprocess<'pipe' | 'ignore', 'pipe', 'pipe'>
  private readonly stdinId: string | null
  /**
   * Since when each reader has been blocked waiting for new data; null while it handles a chunk or
   * waits on backpressure. The run is quiet only while both are blocked.
   */
  private readonly waitingSince: Record<OutputStream, number | null> = { stdout: null, stderr: null }
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  private idleBackoff: number
  private reportedWaiting = false
  private readonly splitters: Record<OutputStream, LineSplitter>
  private readonly redactors: Record<OutputStream, StreamRedactor> | null
  private ended = false

  constructor(
    spec: ProcessSpec,
    private readonly hooks: SupervisorHooks,
    private readonly options: SupervisorOptions,
  ) {
    this.child = Bun.spawn(spec.argv, {
      cwd: spec.cwd,
      env: spec.env,
      stdin: spec.keepStdin ? 'pipe' : 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      detached: true,
    })
    this.pid = this.child.pid
    this.startedTicks = processStartTime(this.pid)
    this.stdinId = spec.keepStdin ? stdinIdentity(this.pid) : null
    this.idleBackoff = options.idleMs
    const splitter = (stream: OutputStream) =>
      new LineSplitter((line, partial) => this.deliver(stream, line, partial), options.maxLineChars)
    this.splitters = { stdout: splitter('stdout'), stderr: splitter('stderr') }
    const { redactor } = options
    this.redactors = redactor ? { stdout: redactor(), stderr: redactor() } : null
    this.exited = this.watch()
  }

  /** Writes a reply to stdin. Returns false when the process has no open stdin. */
  write(text: string): boolean {
    const stdin = this.child.stdin
    if (!stdin || typeof stdin === 'number' || this.ended) return false
    try {
      stdin.write(text)
      stdin.flush()
    } catch {
      return false
    }
    this.reportedWaiting = false
    this.armIdleCheck(this.options.idleMs)
    return true
  }

  /** Closes stdin: how the agent CLIs are told to finish. */
  closeStdin(): void {
    const stdin = this.child.stdin
    if (!stdin || typeof stdin === 'number') return
    try {
      stdin.end()
    } catch {
      // Already closed by the process ending.
    }
  }

  /** Ends the whole group: SIGTERM, then SIGKILL after the grace period. Resolves when it is gone. */
  async stop(): Promise<ProcessExit> {
    await terminateGroup(this.pid, this.options.stopGraceMs)
    await this.options.reap?.()
    return this.exited
  }

  private pendingBackpressure: Promise<void> | null = null

  private deliver(stream: OutputStream, line: string, partial: boolean): void {
    const wait = this.hooks.onLine(stream, line, partial)
    if (wait) this.pendingBackpressure = wait
  }

  private async watch(): Promise<ProcessExit> {
    this.armIdleCheck(this.options.idleMs)
    const readers = [this.read('stdout', this.child.stdout), this.read('stderr', this.child.stderr)]
    await this.child.exited
    this.ended = true
    this.clearIdle()
    // The leader is gone; anything it left running in its group would go on unobserved.
    await terminateGroup(this.pid, Math.min(this.options.stopGraceMs, 1000))
    await this.options.reap?.()
    await Promise.all(readers)
    this.flushHeld('end')
    this.splitters.stdout.flushPartial()
    this.splitters.stderr.flushPartial()
    this.closeStdin()
    const code = this.child.exitCode
    const signal = this.child.signalCode === null ? null : String(this.child.signalCode)
    return { code, signal, text: signal ? `signal: ${signal}` : `exit status: ${code ?? 'unknown'}` }
  }

  private async read(stream: OutputStream, source: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder('utf-8', { fatal: false })
    const reader = source.getReader()
    while (true) {
      this.waitingSince[stream] = Date.now()
      this.armIdleCheck(this.options.idleMs)
      const { value: chunk, done } = await reader.read()
      this.waitingSince[stream] = null
      if (done) break
      this.reportedWaiting = false
      await this.handle(stream, decoder.decode(chunk, { stream: true }))
    }
    await this.handle(stream, decoder.decode())
    // A finished stream produces nothing more: it counts as waiting from now on.
    this.waitingSince[stream] = Date.now()
  }

  /** Redacts and splits one decoded chunk, a slice at a time (see SLICE_CHARS). */
  private async handle(stream: OutputStream, text: string): Promise<void> {
    for (let at = 0; at < text.length; at += SLICE_CHARS) {
      const slice = text.length <= SLICE_CHARS ? text : text.slice(at, at + SLICE_CHARS)
      await this.split(stream, this.redact(stream, slice))
    }
  }

  private async split(stream: OutputStream, text: string): Promise<void> {
    const splitter = this.splitters[stream]
    for (let at = 0; at < text.length; at += PIECE_CHARS) {
      if (this.pendingBackpressure) {
        const wait = this.pendingBackpressure
        this.pendingBackpressure = null
        await wait
      }
      const turn = outputTurns.pause()
      if (turn) await turn
      splitter.push(text.length <= PIECE_CHARS ? text : text.slice(at, at + PIECE_CHARS))
    }
  }

  private redact(stream: OutputStream, text: string): string {
    return this.redactors ? this.redactors[stream].push(text) : text
  }

  /** Passes what the redactors hold back (a possible start of a secret) on to the splitters. */
  private flushHeld(how: 'flush' | 'end'): void {
    if (!this.redactors) return
    for (const stream of ['stdout', 'stderr'] as const)
      this.splitters[stream].push(this.redactors[stream][how]())
  }

  private armIdleCheck(delay: number): void {
    if (this.ended || !this.hooks.onWaitingForInput) return
    this.clearIdle()
    this.idleBackoff = this.options.idleMs
    this.idleTimer = setTimeout(() => this.checkIdle(), delay)
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }

  /** How long both readers have been blocked waiting for new data, or null while either is busy. */
  private quietFor(): number | null {
    const { stdout, stderr } = this.waitingSince
    if (stdout === null || stderr === null) return null
    return Date.now() - Math.max(stdout, stderr)
  }

  private checkIdle(): void {
    this.idleTimer = null
    if (this.ended) return
    const quiet = this.quietFor()
    // A busy reader (a chunk in hand, or waiting on backpressure) arms the check again when it next waits.
    if (quiet === null) return
    if (quiet < this.options.idleMs) {
      this.armIdleCheck(this.options.idleMs - quiet)
      return
    }
    // A timer may fire late, after output arrived that the event loop has not handed to the reader
    // yet: decide only after the loop has polled for it once more.
    const since = { ...this.waitingSince }
    setImmediate(() => {
      const unchanged = this.waitingSince.stdout === since.stdout && this.waitingSince.stderr === since.stderr
      if (this.ended || this.idleTimer !== null || !unchanged) return
      this.onQuiet()
    })
  }

  /** The run has been quiet for the idle period: flush what it left unfinished, and see if it waits for input. */
  private onQuiet(): void {
    this.flushHeld('flush')
    const prompt = this.splitters.stdout.pendingPartial || this.splitters.stderr.pendingPartial
    this.splitters.stdout.flushPartial()
    this.splitters.stderr.flushPartial()
    if (!this.reportedWaiting && this.stdinId !== null) {
      const waiting = waitingOnStdin(this.pid, this.stdinId)
      const byText = waiting === null && prompt !== '' && PROMPT_ENDING.test(prompt)
      if (waiting || byText) {
        this.reportedWaiting = true
        this.hooks.onWaitingForInput?.(waiting ? 'stdin-read' : 'prompt-text', prompt)
      }
    }
    // A quiet run is re-checked with growing intervals: cheap, yet a later read is still noticed.
    const next = Math.min(this.idleBackoff * 2, 5000)
    this.idleTimer = setTimeout(() => this.checkIdle(), next)
    this.idleBackoff = next
  }
}
