import { ShellExecutor } from '../executors/shell'
import type { RunnerDefinition } from './runner'

export const shellRunner: RunnerDefinition = {
  kind: 'shell',
  invocation: '/bin/sh -lc',
  input: 'command',
  taskCommand: ({ command }) => command,
  environment: [],
  settingsName: null,
  attachCommand: () => null,
  probe: async () => ({ available: true, path: '/bin/sh', version: null, reason: null }),
  executor: (ctx, deps) => new ShellExecutor(ctx, deps, shellRunner.environment),
}
