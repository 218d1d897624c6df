import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import type {
  AgentAdapter,
  AgentOutput,
  AgentSession,
  AgentSignal,
  Launch,
  LaunchRequest,
  PermissionMode,
} from '../../src/agents'
import type { NewEvent } from '../../src/domain'
import type { ModelServer } from '../support/model-server'

/** Drives the real agent CLIs through the adapters, the way the supervisor will, but with Bun.spawn directly. */

export const AGENTS_BIN = resolve(import.meta.dir, '../../.tools/agents/node_modules/.bin')
export const CODEX_MODEL = 'gpt-5.5'
const WAIT_MS = 45_000

/** The pinned CLIs are a test dependency: their absence is a failure, never a silent skip. */
/**
 * What a server or runner host needs to run the real Claude Code CLI against the scripted model
 * server: the agent CLIs on PATH, the binary, and the environment that points it at `model`.
 */
export function claudeAgainst(model: ModelServer): Record<string, string> {
  return {
    PATH: `${AGENTS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    OPENRUNTIME_CLAUDE_BIN: agentBinary('claude'),
    OPENRUNTIME_CLAUDE_ENV: JSON.stringify({
      ANTHROPIC_BASE_URL: model.url,
      ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
      ...model.proxyEnv(),
    }),
  }
}

export function agentBinary(name: 'claude' | 'codex'): string {
  const path = join(AGENTS_BIN, name)
  if (!existsSync(path))
    throw new Error(`${path} is missing: install the pinned agent CLIs with "sh scripts/bootstrap.sh test"`)
  return path
}

export interface Sandbox {
  /** The agent's working directory. */
  cwd: string
  home: string
  codexHome: string
  /** TMPDIR for the child; CODEX_HOME must not lie under it or Codex's sandbox breaks. */
  tmp: string
  remove(): void
}

export function makeSandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'openruntime-agents-'))
  const sandbox = {
    cwd: join(root, 'repo'),
    home: join(root, 'home'),
    codexHome: join(root, 'home', '.codex'),
    tmp: join(root, 'tmp'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
  for (const dir of [sandbox.cwd, sandbox.codexHome, sandbox.tmp]) mkdirSync(dir, { recursive: true })
  return sandbox
}

/** A throw-away environment that can reach only the model server. */
export function agentEnv(server: ModelServer, sandbox: Sandbox): Record<string, string> {
  return {
    PATH: `${AGENTS_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: sandbox.home,
    TMPDIR: sandbox.tmp,
    CODEX_HOME: sandbox.codexHome,
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: 'sk-ant-test-dummy',
    SCRIPTED_MODEL_KEY: 'dummy',
    ...server.proxyEnv(),
  }
}

/** Points Codex at the model server through a custom provider (no WebSocket, no retries). */
export function codexProviderArgs(server: ModelServer): string[] {
  const provider = [
    'name="scripted"',
    `base_url="${server.url}/v1"`,
    'wire_api="responses"',
    'env_key="SCRIPTED_MODEL_KEY"',
    'request_max_retries=0',
    'stream_max_retries=0',
    'supports_websockets=false',
  ].join(',')
  return ['-c', 'model_provider=scripted', '-c', `model_providers.scripted={${provider}}`]
}

/** A sandboxed launch; Claude finds the server through ANTHROPIC_BASE_URL, Codex needs a provider and a model. */
export function launchRequest(
  server: ModelServer,
  sandbox: Sandbox,
  runner: 'claude' | 'codex',
  permissionMode: PermissionMode,
  resumeSessionId?: string,
): LaunchRequest {
  return {
    bin: agentBinary(runner),
    cwd: sandbox.cwd,
    permissionMode,
    resumeSessionId,
    baseEnv: agentEnv(server, sandbox),
    ...(runner === 'codex' ? { model: CODEX_MODEL, extraArgs: codexProviderArgs(server) } : {}),
  }
}

export class AgentRun {
  readonly events: NewEvent[] = []
  readonly signals: AgentSignal[] = []
  readonly stdoutLines: string[] = []
  readonly stderrLines: string[] = []
  readonly session: AgentSession
  readonly exited: Promise<number>
  private readonly child: Subprocess<'pipe', 'pipe', 'pipe'>
  private readonly wakers = new Set<() => void>()
  private ended = false

  constructor(
    adapter: AgentAdapter,
    readonly launch: Launch,
    request: LaunchRequest,
  ) {
    this.child = Bun.spawn(launch.argv, {
      cwd: launch.cwd,
      env: launch.env,
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      // Its own process group: the codex launcher is a Node wrapper around the native binary.
      detached: true,
    })
    this.session = adapter.createSession(request, {
      writeLine: (line) => {
        this.child.stdin.write(`${line}\n`)
        this.child.stdin.flush()
      },
    })
    const pumps = [
      this.pump(this.child.stdout, (line) => {
        this.stdoutLines.push(line)
        return this.session.onStdoutLine(line)
      }),
      this.pump(this.child.stderr, (line) => {
        this.stderrLines.push(line)
        return this.session.onStderrLine(line)
      }),
    ]
    this.exited = Promise.all(pumps).then(async () => {
      const code = await this.child.exited
      this.ended = true
      this.wake()
      return code
    })
  }

  static start(adapter: AgentAdapter, request: LaunchRequest, prompt: string): AgentRun {
    const run = new AgentRun(adapter, adapter.buildLaunch(request), request)
    run.session.begin(prompt)
    return run
  }

  signalsOf<T extends AgentSignal['type']>(type: T): Extract<AgentSignal, { type: T }>[] {
    return this.signals.filter((signal): signal is Extract<AgentSignal, { type: T }> => signal.type === type)
  }

  eventsOf(type: string): NewEvent[] {
    return this.events.filter((event) => event.metadata?.type === type)
  }

  /** Resolves with the first truthy result of `check`, re-evaluated after every output line. */
  async waitUntil<T>(label: string, check: () => T | undefined | null | false): Promise<T> {
    const deadline = Date.now() + WAIT_MS
    while (true) {
      const value = check()
      if (value) return value
      if (this.ended) throw new Error(`the process ended before ${label}\n${this.tail()}`)
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`timed out waiting for ${label}\n${this.tail()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining)
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this.wakers.add(() => done())
      })
    }
  }

  waitForTurns(count: number): Promise<true> {
    return this.waitUntil(`${count} completed turn(s)`, () => this.signalsOf('turn-complete').length >= count)
  }

  waitForApproval(): Promise<Extract<AgentSignal, { type: 'approval-request' }>> {
    return this.waitUntil('an approval request', () => this.signalsOf('approval-request')[0])
  }

  /** Closing stdin is how both CLIs are told to finish. */
  async finish(): Promise<number> {
    this.child.stdin.end()
    return this.exited
  }

  /** Ends the whole process group; killing only the wrapper would orphan the native CLI. */
  kill(): void {
    if (this.ended) return
    try {
      process.kill(-this.child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }

  private async pump(
    stream: ReadableStream<Uint8Array>,
    handle: (line: string) => AgentOutput,
  ): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    const deliver = (line: string) => {
      const output = handle(line)
      this.events.push(...output.events)
      this.signals.push(...output.signals)
    }
    const reader = stream.getReader()
    while (true) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      let newline = buffer.indexOf('\n')
      while (newline !== -1) {
        deliver(buffer.slice(0, newline))
        buffer = buffer.slice(newline + 1)
        newline = buffer.indexOf('\n')
      }
      this.wake()
    }
    if (buffer) deliver(buffer)
  }

  private wake(): void {
    const wakers = [...this.wakers]
    this.wakers.clear()
    for (const wake of wakers) wake()
  }

  private tail(): string {
    const last = (lines: string[]) => lines.slice(-8).map((line) => `  ${line.slice(0, 400)}`)
    return ['stdout:', ...last(this.stdoutLines), 'stderr:', ...last(this.stderrLines)].join('\n')
  }
}

/** Sums usage deltas per field. */
export function totalUsage(run: AgentRun | AgentRun[]) {
  const runs = Array.isArray(run) ? run : [run]
  const total = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: 0,
  }
  for (const signal of runs.flatMap((r) => r.signalsOf('usage'))) {
    total.input_tokens += signal.input_tokens
    total.output_tokens += signal.output_tokens
    total.cache_read_tokens += signal.cache_read_tokens
    total.cache_write_tokens += signal.cache_write_tokens
    total.cost_usd += signal.cost_usd ?? 0
  }
  return total
}
