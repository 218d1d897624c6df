import type { Availability } from '../../agents'
import type { Config, RunnerSettings } from '../../config'
import type { RunnerKind } from '../../domain'
import type { ExecutorContext, RunExecutor } from '../executors/executor'
import type { Redaction } from '../redaction'

/** What an executor is given besides its run: the server's settings and the runner's own. */
export interface ExecutorDeps {
  config: Pick<Config, 'serverEnv' | 'stopGraceMs' | 'agentHosts' | 'codexPrices'>
  settings: RunnerSettings
  /** The CLI the availability probe found (null for the shell). */
  binary: string | null
  redaction: Redaction
}

/**
 * Everything that makes a runner a runner, in one place: a file per runner under this folder and
 * a line in ../registry.ts (its name and label are the shared vocabulary, RUNNERS and
 * RUNNER_LABELS). The rest of openRuntime asks the registry.
 */
export interface RunnerDefinition {
  kind: RunnerKind
  /** How it is invoked, as GET /runners shows it (the original's `command` field). */
  invocation: string
  /** What a task of this runner carries: a shell command, or a goal for an agent. */
  input: 'command' | 'goal'
  /** The command text stored on a task (for an agent, the original's placeholder around its goal). */
  taskCommand(task: { command: string; prompt: string }): string
  /** The server's environment variables it may see (names or prefixes) besides the base. */
  environment: readonly string[]
  /** OPENRUNTIME_<name>_BIN / _ARGS / _ENV configure it; null when nothing does. */
  settingsName: string | null
  /** The terminal command that continues a session of it interactively, or null. */
  attachCommand(sessionId: string): string | null
  /** Whether it can run here: its binary and version, or why not. */
  probe(settings: RunnerSettings, path: string): Promise<Omit<Availability, 'runner'>>
  /** The executor that drives one attempt of it. */
  executor(ctx: ExecutorContext, deps: ExecutorDeps): RunExecutor
}
