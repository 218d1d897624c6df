import type { EffectivePolicy, TaskRecord } from '../domain'
import type { SandboxedCommand, SandboxInfo } from '../policy'
import type { RunLimits, RunLimitsPlan } from '../process/limits/run-limits'
import type { ExecutorLaunch } from './executors/executor'
import type { PreparedWorkspace } from './isolation'
import { agentNetwork } from './network/agent-network'
import type { RunNetwork } from './network/run-network'
import { sandboxRun } from './run-sandbox'

export interface LaunchPlan {
  launch: ExecutorLaunch
  command: SandboxedCommand
  network: RunNetwork | null
  limits: RunLimitsPlan
}

export interface LaunchRequest {
  attemptId: string
  task: TaskRecord
  policy: EffectivePolicy
  launch: ExecutorLaunch
  prepared: PreparedWorkspace
  sandbox: SandboxInfo
  limits: RunLimits
  dataDir: string
  /** An agent's network refused a connection (for the timeline). */
  onRefused: (target: string) => void
  /** Nothing in the worktree may change (a reviewer's run). */
  readOnlyWorkspace?: boolean
}

/**
 * How the executor's process is started here: inside the sandbox, in an agent's network of its
 * own where that applies, and within the run's limits (rlimits inside the sandbox, the cgroup
 * join outside). Closes the network again if anything after it fails.
 */
export async function planLaunch(request: LaunchRequest): Promise<LaunchPlan> {
  const { policy, sandbox, prepared } = request
  const network = await agentNetwork(request.launch, policy, sandbox, request.onRefused)
  try {
    const wrapped = network?.wrap(request.launch.spec)
    const launch = wrapped ? { ...request.launch, spec: wrapped.spec } : request.launch
    const sandboxed = (argv: string[]) =>
      sandboxRun({
        argv,
        env: launch.spec.env,
        policy,
        workspace: request.task.workspace,
        prepared,
        stateDirs: launch.stateDirs,
        configuration: launch.configuration,
        network: network && wrapped ? { mount: network.mount, programs: wrapped.programs } : undefined,
        sandbox,
        dataDir: request.dataDir,
        readOnlyWorkspace: request.readOnlyWorkspace,
      })
    let command = sandboxed(launch.spec.argv)
    // Whether RLIMIT_NPROC can hold depends on the sandbox; rlimits wrap the command inside it.
    const limits = request.limits.plan(request.attemptId, policy, {
      active: command.active,
      bwrapPath: sandbox.bwrap_path,
    })
    if (limits.innerPrefix.length > 0) command = sandboxed([...limits.innerPrefix, ...launch.spec.argv])
    return { launch, network, limits, command: { ...command, argv: limits.outer(command.argv) } }
  } catch (error) {
    network?.close()
    throw error
  }
}
