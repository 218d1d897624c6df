import type { Config } from './config'
import type { TaskRecord } from './domain'
import { captureDiff } from './git/diff'
import { prepareWorkspace } from './git/worktree'
import { normalizePolicy } from './policy/presets'
import type { RuntimeAdapters } from './runtime'
import { canonicalDirectory } from './workspaces/paths'

/** The git layer as the run worker uses it: a worktree per task, and what changed since its base. */
export function gitIsolation(): RuntimeAdapters['isolation'] {
  return {
    async prepare(task: TaskRecord) {
      return prepareWorkspace({
        taskId: task.id,
        workspace: task.workspace,
        existing: task.worktree_path
          ? {
              worktreePath: task.worktree_path,
              executionDir: task.execution_workspace,
              baseCommit: task.base_commit,
            }
          : null,
      })
    },
    async summarizeChanges(task: TaskRecord) {
      if (!task.worktree_path) return null
      const diff = await captureDiff({
        worktreePath: task.worktree_path,
        baseCommit: task.base_commit,
        maxPatchBytes: 0,
      })
      return { has_changes: diff.has_changes, stat: diff.stat }
    },
  }
}

export function composeAdapters(_config: Config): RuntimeAdapters {
  return {
    isolation: gitIsolation(),
    resolveWorkspace: (path) => canonicalDirectory(path ?? process.cwd()),
    normalizePolicy,
  }
}
