import type { TaskRecord } from '../../domain'
import type { ProcessSpec } from '../supervise'

/** The shell runner: the user's command under `/bin/sh -lc`, stdin kept open for replies. */
export function shellProcessSpec(task: TaskRecord, cwd: string, env: Record<string, string>): ProcessSpec {
  return { argv: ['/bin/sh', '-lc', task.command], cwd, env, keepStdin: true }
}
