import { defaultPolicy } from '../../src/domain'
import { detectSandbox } from '../../src/policy'
import { sandboxRun } from '../../src/workers/run-sandbox'

/**
 * `argv` under the sandbox the runs module builds for an in-place task in `workspace` (bubblewrap,
 * network off, credentials and the data directory hidden): what containment alone costs a run,
 * for the baselines that do a run's work without openRuntime around it.
 */
export function sandboxedCommand(argv: string[], workspace: string, dataDir: string): string[] {
  const sandbox = detectSandbox()
  if (!sandbox.available) throw new Error(`the benchmark needs bubblewrap: ${sandbox.reason}`)
  const command = sandboxRun({
    argv,
    env: { HOME: process.env.HOME ?? '/root' },
    policy: { ...defaultPolicy(), allow_in_place: true },
    workspace,
    prepared: {
      isolated: false,
      worktreePath: null,
      executionDir: workspace,
      baseCommit: null,
      repoRoot: null,
      gitDir: null,
      sharedObjects: null,
      note: 'in place',
    },
    stateDirs: [],
    sandbox,
    dataDir,
  })
  return command.argv
}
