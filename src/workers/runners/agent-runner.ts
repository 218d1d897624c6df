import { type AgentAdapter, type AgentRunner, findAgentBinary } from '../../agents'
import { AgentExecutor } from '../executors/agent'
import { NETWORK_SETTINGS } from '../runner-env'
import type { ExecutorDeps, RunnerDefinition } from './runner'

export interface AgentRunnerSpec {
  kind: AgentRunner
  invocation: string
  /** The name of its binary on PATH. */
  binary: string
  /** The original's placeholder command text for a task with this goal. */
  taskCommand: (prompt: string) => string
  /** Its own variables (credentials, configuration), by name or prefix. */
  variables: readonly string[]
  settingsName: string
  attachCommand: (sessionId: string) => string
  /** The protocol adapter (src/agents/) a run speaks, given the server's settings. */
  adapter: (config: ExecutorDeps['config']) => AgentAdapter
}

/** An agent CLI as a runner: its protocol adapter drives it; the network settings let it reach its API. */
export function agentRunner(spec: AgentRunnerSpec): RunnerDefinition {
  const environment = [...spec.variables, ...NETWORK_SETTINGS]
  return {
    kind: spec.kind,
    invocation: spec.invocation,
    input: 'goal',
    taskCommand: ({ prompt }) => spec.taskCommand(prompt),
    environment,
    settingsName: spec.settingsName,
    attachCommand: spec.attachCommand,
    probe: async (settings, path) => {
      const { runner: _kind, ...found } = await findAgentBinary(spec.kind, spec.binary, {
        bin: settings.bin,
        path,
      })
      return found
    },
    executor: (ctx, deps) => new AgentExecutor(ctx, deps, spec.adapter(deps.config), environment),
  }
}
