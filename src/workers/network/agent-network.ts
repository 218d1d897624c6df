import type { EffectivePolicy } from '../../domain'
import { effectiveNetworkMode, type SandboxInfo } from '../../policy'
import type { ExecutorLaunch } from '../executors/executor'
import { RunNetwork } from './run-network'

/**
 * An agent run's network of its own, where its sandbox gets a network namespace: bubblewrap runs
 * here and the policy's mode is not `enabled` (then the policy gives it the host network). Null
 * for shell runs, whose mode alone decides, and where there is no sandbox to put it in.
 */
export async function agentNetwork(
  launch: ExecutorLaunch,
  policy: EffectivePolicy,
  sandbox: SandboxInfo,
  onRefused: (target: string) => void,
): Promise<RunNetwork | null> {
  if (!launch.modelApi || !sandbox.available || effectiveNetworkMode(policy) === 'enabled') return null
  return RunNetwork.open({ endpoints: launch.modelApi, env: launch.spec.env, onRefused })
}
